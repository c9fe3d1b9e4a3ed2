// Scenario 5: connection churn. After a warm-up round, the server's heap, RSS and handles are
// read (after a full gc), `total` connections come and go, and they are read again.
import { runGenerator } from "../lib/proc.mjs";
import { round } from "../lib/stats.mjs";
import { log, withServer } from "./common.mjs";

/**
 * The server's stats once it has no connection left (bounded wait).
 * @param {import("../lib/proc.mjs").Child} child
 */
async function settled(child) {
  let stats = await child.request({ type: "stats" });
  for (let i = 0; i < 50 && Number(stats.connections) > 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    stats = await child.request({ type: "stats" });
  }
  return stats;
}

/** @param {Record<string, number>} handles */
function countHandles(handles) {
  return Object.values(handles).reduce((a, b) => a + b, 0);
}

/** @param {import("./common.mjs").Settings} settings */
export async function churn(settings) {
  const total = settings.quick ? 2000 : 20_000;
  const parallel = 50;
  const rows = [];
  for (const server of ["taurus-binary", "raw-binary"]) {
    const row = await withServer(server, "echo", settings, async ({ child, port }) => {
      await runGenerator("churn", { port, total: Math.ceil(total / 10), parallel }, 120_000);
      const before = await settled(child);
      const r = await runGenerator("churn", { port, total, parallel }, 300_000);
      const after = await settled(child);
      const mb = before.memory;
      const ma = after.memory;
      const hb = /** @type {Record<string, number>} */ (before.handles);
      const ha = /** @type {Record<string, number>} */ (after.handles);
      const heapGrowth = ma.heapUsed - mb.heapUsed;
      return {
        server,
        connections: r.completed,
        failed: r.failed,
        connectionsPerSecond: Math.round(Number(r.connectionsPerSecond)),
        leftOpen: after.connections,
        heapUsedBefore: mb.heapUsed,
        heapUsedAfter: ma.heapUsed,
        heapGrowthBytes: heapGrowth,
        heapGrowthPerConnection: round(heapGrowth / Number(r.completed), 2),
        rssBefore: mb.rss,
        rssAfter: ma.rss,
        handlesBefore: hb,
        handlesAfter: ha,
        handleGrowth: countHandles(ha) - countHandles(hb),
        serverErrors: after.errors,
      };
    });
    log(
      `churn ${server}: ${row.connectionsPerSecond} conn/s, heap +${row.heapGrowthBytes} B, handles +${row.handleGrowth}`,
    );
    rows.push(row);
  }
  return rows;
}
