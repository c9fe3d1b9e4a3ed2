// The Taurus server under test: createServer of @taurus/server, no rate limit, echo or broadcast.
import { createServer } from "@taurus/server";
import { attachWebSocket } from "@taurus/transport-ws";
import { countError, mode, serve } from "./harness.mjs";

if (process.env.TAURUS_BENCH_DIAGNOSTICS === "1") await import("./diagnostics-subscriber.mjs");

/**
 * @template M
 * @param {import("@taurus/server").ServerConfig<M>["protocol"]} protocol
 * @param {{ websocket?: boolean }} [options] `websocket`: serve over @taurus/transport-ws only
 * @param {Record<string, unknown>} [extra] more server options (the sessions scenario's `sessions`)
 */
export async function runTaurus(protocol, options = {}, extra = {}) {
  const broadcast = mode() === "broadcast";
  /** @type {import("@taurus/server").TaurusServer<M>} */
  const server = createServer({
    protocol,
    rateLimit: Number.POSITIVE_INFINITY,
    // No limit on inbound bytes either (1 MiB/s per connection by default), and the
    // frame and queue sizes of the Go original (the server defaults are now 64 KiB),
    // for the 64 KiB echo scenario.
    inboundBytesPerSecond: Number.POSITIVE_INFINITY,
    maxMessageSize: 1024 * 1024,
    sendQueueBytes: 16 * 1024 * 1024,
    maxConnections: 100_000,
    shutdownTimeout: 1000,
    ...extra,
    // Broadcast receivers only read: no first-byte deadline for them.
    handshakeTimeout: broadcast ? 0 : undefined,
    handler: {
      onMessage: broadcast
        ? (msg) => {
            server.broadcast(msg);
          }
        : (msg, conn) => {
            conn.send(msg);
          },
      onError: (error) => countError(error.code),
    },
  });
  await serve({
    listen: async () =>
      options.websocket
        ? (await attachWebSocket(server).listen(0, "127.0.0.1")).port
        : (await server.listen(0, "127.0.0.1")).port,
    connections: () => server.connectionCount,
    close: async () => {
      await server.close();
    },
  });
}
