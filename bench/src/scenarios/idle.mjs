// Scenario 3: idle connections. The server's memory (after a full gc) before and after the
// generator holds `connections` sockets open, per connection: Taurus binary against the bare
// node:net server that keeps nothing per socket (bare-echo), in interleaved rounds (medians).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { heapByKind, perConnection } from "../lib/heap-snapshot.mjs";
import { startGenerator } from "../lib/proc.mjs";
import { ratio, round } from "../lib/stats.mjs";
import { median } from "./ceiling.mjs";
import { log, withServer } from "./common.mjs";

/** @param {import("../lib/proc.mjs").Message} stats */
function memoryOf(stats) {
  return /** @type {NodeJS.MemoryUsage} */ (stats.memory);
}

/** How long the connections stay idle, after their one echo, before the server's memory is read. */
const IDLE_SETTLE_MS = 2_000;

/**
 * One measurement of `server` holding `connections` idle connections.
 * @param {string} server
 * @param {number} connections
 * @param {import("./common.mjs").Settings} settings
 */
function measure(server, connections, settings) {
  return withServer(server, "echo", settings, async ({ child, port }) => {
    const before = memoryOf(await child.request({ type: "stats" }));
    const generator = startGenerator("idle", { port, connections });
    try {
      const ready = await generator.next("ready", 120_000);
      // Idle means after the last exchange has settled: a server may release per-connection
      // state some time after the last message (Taurus: its deadline sweep, at most 1 s).
      await new Promise((resolve) => setTimeout(resolve, IDLE_SETTLE_MS));
      const stats = await child.request({ type: "stats" });
      const after = memoryOf(stats);
      const n = Number(stats.connections);
      const per = (/** @type {keyof NodeJS.MemoryUsage} */ key) =>
        Math.round((after[key] - before[key]) / n);
      return {
        connections: n,
        opened: Number(ready.opened),
        echoed: Number(ready.echoed),
        rss: per("rss"),
        heap: per("heapUsed"),
        external: per("external"),
        rssMiB: { before: round(before.rss / 2 ** 20, 1), after: round(after.rss / 2 ** 20, 1) },
        serverErrors: stats.errors,
      };
    } finally {
      await generator.stop();
    }
  });
}

/**
 * Where the heap of `server` goes per idle connection: a heap snapshot before and one with
 * `connections` idle connections, compared by kind of object (constructor).
 * @param {string} server
 * @param {number} connections
 * @param {import("./common.mjs").Settings} settings
 */
function breakdown(server, connections, settings) {
  return withServer(server, "echo", settings, async ({ child, port }) => {
    const dir = mkdtempSync(join(tmpdir(), "taurus-heap-"));
    const snapshot = async (/** @type {string} */ name) => {
      const reply = await child.request({ type: "snapshot", path: join(dir, name) }, 120_000);
      return heapByKind(String(reply.path));
    };
    try {
      const before = await snapshot("before.heapsnapshot");
      const generator = startGenerator("idle", { port, connections });
      try {
        await generator.next("ready", 120_000);
        await new Promise((resolve) => setTimeout(resolve, IDLE_SETTLE_MS));
        const n = Number((await child.request({ type: "stats" })).connections);
        const after = await snapshot("after.heapsnapshot");
        return { connections: n, kinds: perConnection(before, after, n) };
      } finally {
        await generator.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

/** @param {import("./common.mjs").Settings} settings */
export async function idle(settings) {
  const connections = settings.quick ? 1000 : 10_000;
  const rounds = settings.quick ? 1 : 3;
  const servers = ["taurus-binary", "bare-echo"];
  /** @type {Record<string, Awaited<ReturnType<typeof measure>>[]>} */
  const runs = { "taurus-binary": [], "bare-echo": [] };
  for (let r = 0; r < rounds; r++) {
    for (const server of r % 2 === 0 ? servers : [...servers].reverse()) {
      /** @type {unknown[]} */ (runs[server]).push(await measure(server, connections, settings));
    }
  }
  const rows = servers.map((server) => {
    const list = /** @type {Awaited<ReturnType<typeof measure>>[]} */ (runs[server]);
    const m = (/** @type {"rss" | "heap" | "external"} */ k) =>
      Math.round(median(list.map((x) => x[k])) ?? Number.NaN);
    const row = {
      server,
      connections: Math.min(...list.map((x) => x.connections)),
      rounds,
      rssPerConnection: m("rss"),
      heapPerConnection: m("heap"),
      externalPerConnection: m("external"),
      rssRounds: list.map((x) => x.rss),
      heapRounds: list.map((x) => x.heap),
      rssMiB: list[0]?.rssMiB,
      serverErrors: list.at(-1)?.serverErrors,
    };
    log(
      `idle ${server}: ${row.rssPerConnection} B RSS, ${row.heapPerConnection} B heap per connection (rounds: RSS ${row.rssRounds.join(", ")}; heap ${row.heapRounds.join(", ")})`,
    );
    return row;
  });
  // The breakdown by kind of object, from heap snapshots (fewer connections: a snapshot of
  // 10,000 is large to write and read).
  for (const row of rows) {
    const b = await breakdown(row.server, settings.quick ? 500 : 2000, settings);
    Object.assign(row, { heapByKind: b.kinds, breakdownConnections: b.connections });
    log(
      `idle ${row.server} heap by kind (${b.connections} connections): ${b.kinds
        .slice(0, 8)
        .map((k) => `${k.kind} ${k.bytes}`)
        .join(", ")}`,
    );
  }
  const [t, b] = rows;
  log(
    `idle Taurus / bare: RSS ${ratio(t?.rssPerConnection, b?.rssPerConnection)}, heap ${ratio(t?.heapPerConnection, b?.heapPerConnection)}`,
  );
  return rows;
}
