// Scenario 1: pipelined echo, every size x connection count x server.
import { runGenerator } from "../lib/proc.mjs";
import { round } from "../lib/stats.mjs";
import { LAYOUT } from "../lib/wire.mjs";
import { log, serverErrors, withServer } from "./common.mjs";

/** Servers and the transport their generator uses, per wire format. */
const SERVERS = [
  { server: "taurus-binary", format: "binary", transport: "tcp" },
  { server: "raw-binary", format: "binary", transport: "tcp" },
  // The ceiling for a server that verifies each frame's CRC and seals its reply with a new
  // one, as Taurus does (raw-binary verifies and echoes the same bytes: one CRC pass).
  { server: "cafe-echo", format: "binary", transport: "tcp" },
  { server: "ws", format: "binary", transport: "ws" },
  { server: "taurus-ws-binary", format: "binary", transport: "ws" },
  { server: "taurus-json", format: "json", transport: "tcp" },
  { server: "raw-json", format: "json", transport: "tcp" },
];

/**
 * Messages in flight per connection: 256, or fewer for big frames (1 MiB per connection alone,
 * 256 KiB each with 100), at least 2.
 * @param {number} size
 * @param {number} connections
 */
function windowFor(size, connections) {
  const bytes = connections === 1 ? 1024 * 1024 : 256 * 1024;
  return Math.max(2, Math.min(256, Math.floor(bytes / (size + LAYOUT.binary.overhead))));
}

/** @param {import("./common.mjs").Settings} settings */
export async function echo(settings) {
  const sizes = settings.quick ? [64, 65536] : [64, 1024, 65536];
  const timing = settings.quick
    ? { warmupMs: 200, durationMs: 500 }
    : { warmupMs: 1000, durationMs: 3000 };
  const rows = [];
  for (const size of sizes) {
    // Quick (the test suite's run): the large frames on one connection only.
    for (const connections of settings.quick && size > 1024 ? [1] : [1, 100]) {
      for (const { server, format, transport } of SERVERS) {
        const window = windowFor(size, connections);
        const row = await withServer(server, "echo", settings, async ({ child, port }) => {
          const config = { port, format, transport, size, connections, window, ...timing };
          const result = await runGenerator("echo", config, 60_000).catch((err) => ({
            error: String(err),
          }));
          return {
            server,
            format,
            size,
            connections,
            window,
            messagesPerSecond: Math.round(Number(result.messagesPerSecond)),
            megabytesPerSecond: round(Number(result.megabytesPerSecond), 1),
            frameBytes: result.frameBytes,
            serverErrors: await serverErrors(child),
            ...("error" in result ? { error: result.error } : {}),
          };
        });
        log(`echo ${server} ${size} B x${connections}: ${row.messagesPerSecond} msg/s`);
        rows.push(row);
      }
    }
  }
  return rows;
}
