// Scenario 4: broadcast fan-out to `receivers` connections from one sender.
import { startGenerator } from "../lib/proc.mjs";
import { median } from "./ceiling.mjs";
import { log, serverErrors, withServer } from "./common.mjs";

/**
 * Waits until the server counts `n` connections (bounded).
 * @param {import("../lib/proc.mjs").Child} child
 * @param {number} n
 */
async function waitConnections(child, n) {
  for (let i = 0; i < 100; i++) {
    const stats = await child.request({ type: "stats" });
    if (Number(stats.connections) >= n) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`server never reached ${n} connections`);
}

/** @param {import("./common.mjs").Settings} settings */
export async function broadcast(settings) {
  const receivers = settings.quick ? 100 : 1000;
  const timing = settings.quick
    ? { warmupMs: 200, durationMs: 500 }
    : { warmupMs: 1000, durationMs: 4000 };
  const rounds = settings.quick ? 1 : 3;
  const servers = ["taurus-binary", "raw-binary"];
  /** @type {Record<string, Record<string, unknown>[]>} */
  const runs = { "taurus-binary": [], "raw-binary": [] };
  for (let r = 0; r < rounds; r++) {
    // Interleaved, alternating which goes first; medians below.
    for (const server of r % 2 === 0 ? servers : [...servers].reverse()) {
      /** @type {Record<string, unknown>[]} */ (runs[server]).push(
        await once(server, receivers, timing, settings),
      );
    }
  }
  return servers.map((server) => {
    const list = /** @type {Record<string, number>[]} */ (runs[server]);
    const m = (/** @type {string} */ k) => median(list.map((x) => Number(x[k])));
    const row = {
      server,
      receivers,
      rounds,
      deliveriesPerSecond: Math.round(m("deliveriesPerSecond") ?? Number.NaN),
      deliveriesRounds: list.map((x) => x.deliveriesPerSecond),
      cpuNs: m("cpuNs"),
      cpuRounds: list.map((x) => x.cpuNs),
      p50: m("p50"),
      p99: m("p99"),
      p999: m("p999"),
      max: m("max"),
      unit: "µs",
      serverErrors: list.at(-1)?.serverErrors,
    };
    log(
      `broadcast ${server}: ${row.deliveriesPerSecond} deliveries/s (rounds ${row.deliveriesRounds.join(", ")}), ${row.cpuNs} ns CPU per delivery, p99 ${row.p99} µs`,
    );
    return row;
  });
}

/**
 * One run of the broadcast generator against a fresh `server`.
 * @param {string} server
 * @param {number} receivers
 * @param {{ warmupMs: number, durationMs: number }} timing
 * @param {import("./common.mjs").Settings} settings
 */
function once(server, receivers, timing, settings) {
  return withServer(server, "broadcast", settings, async ({ child, port }) => {
    const generator = startGenerator("broadcast", {
      port,
      receivers,
      size: 64,
      window: 16,
      ...timing,
    });
    try {
      await generator.next("connected", 60_000);
      await waitConnections(child, receivers + 1);
      const cpuBefore = Number((await child.request({ type: "cpu" })).micros);
      generator.send({ type: "go" });
      const r = await generator.next("result", 60_000);
      const cpuAfter = Number((await child.request({ type: "cpu" })).micros);
      return {
        server,
        receivers,
        deliveriesPerSecond: Math.round(Number(r.deliveriesPerSecond)),
        // The server's CPU time per delivery, in ns, from "go" to the end of the window.
        cpuNs: Math.round(((cpuAfter - cpuBefore) * 1000) / Math.max(1, Number(r.total))),
        p50: r.p50,
        p99: r.p99,
        p999: r.p999,
        max: r.max,
        unit: "µs",
        serverErrors: await serverErrors(child),
      };
    } finally {
      await generator.stop();
    }
  });
}
