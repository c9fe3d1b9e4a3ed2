// Scenario 3: idle connections. The server's memory (after a full gc) before and after the
// generator holds `connections` sockets open, per connection.
import { startGenerator } from "../lib/proc.mjs";
import { round } from "../lib/stats.mjs";
import { log, withServer } from "./common.mjs";

/** @param {import("../lib/proc.mjs").Message} stats */
function memoryOf(stats) {
  return /** @type {NodeJS.MemoryUsage} */ (stats.memory);
}

/** @param {import("./common.mjs").Settings} settings */
export async function idle(settings) {
  const connections = settings.quick ? 1000 : 10_000;
  const rows = [];
  for (const server of ["taurus-binary", "raw-binary"]) {
    const row = await withServer(server, "echo", settings, async ({ child, port }) => {
      const before = memoryOf(await child.request({ type: "stats" }));
      const generator = startGenerator("idle", { port, connections });
      try {
        const ready = await generator.next("ready", 120_000);
        const stats = await child.request({ type: "stats" });
        const after = memoryOf(stats);
        const n = Number(stats.connections);
        const per = (/** @type {keyof NodeJS.MemoryUsage} */ key) =>
          Math.round((after[key] - before[key]) / n);
        return {
          server,
          connections: n,
          opened: ready.opened,
          echoed: ready.echoed,
          rssPerConnection: per("rss"),
          heapPerConnection: per("heapUsed"),
          externalPerConnection: per("external"),
          rssMiB: { before: round(before.rss / 2 ** 20, 1), after: round(after.rss / 2 ** 20, 1) },
          serverErrors: stats.errors,
        };
      } finally {
        await generator.stop();
      }
    });
    log(
      `idle ${server}: ${row.rssPerConnection} B RSS, ${row.heapPerConnection} B heap per connection`,
    );
    rows.push(row);
  }
  return rows;
}
