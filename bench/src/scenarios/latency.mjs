// Scenario 2: request/reply latency, one message outstanding per connection.
import { runGenerator } from "../lib/proc.mjs";
import { log, serverErrors, withServer } from "./common.mjs";

/** @param {import("./common.mjs").Settings} settings */
export async function latency(settings) {
  const timing = settings.quick
    ? { warmupMs: 200, durationMs: 500 }
    : { warmupMs: 1000, durationMs: 4000 };
  const rows = [];
  for (const connections of [1, 100]) {
    for (const server of ["taurus-binary", "raw-binary"]) {
      const row = await withServer(server, "echo", settings, async ({ child, port }) => {
        const config = { port, format: "binary", size: 64, connections, ...timing };
        const r = await runGenerator("latency", config, 60_000);
        return {
          server,
          connections,
          requestsPerSecond: Math.round(Number(r.requestsPerSecond)),
          p50: r.p50,
          p99: r.p99,
          p999: r.p999,
          max: r.max,
          samples: r.count,
          unit: "µs",
          serverErrors: await serverErrors(child),
        };
      });
      log(`latency ${server} x${connections}: p50 ${row.p50} p99 ${row.p99} µs`);
      rows.push(row);
    }
  }
  return rows;
}
