// The default heartbeat: keepalive pings keep a client that only receives within
// the server's first-byte and idle deadlines.
import type { Protocol, TaurusError } from "@taurus/core-conn";
import { createServer, DEFAULT_HANDSHAKE_TIMEOUT } from "@taurus/server";
import { afterEach, describe, expect, it } from "vitest";
import { createClient } from "./client";
import { onCleanup, runCleanups, seq, until } from "./fixtures/harness";
import type { SeqMessage } from "./fixtures/seq-protocol";
import { DEFAULT_HEARTBEAT_INTERVAL } from "./options";

afterEach(runCleanups);

/** The seq protocol with a keepalive, as both Taurus protocols have. */
const binary: Protocol<SeqMessage> = {
  ...seq,
  keepalive: {
    ping: { sequence: 0, text: "\u0001ping" },
    pong: { sequence: 0, text: "\u0001pong" },
    kind: (m) => (m.text === "\u0001ping" ? "ping" : m.text === "\u0001pong" ? "pong" : undefined),
  },
};

async function broadcaster(handshakeTimeout: number, idleTimeout: number) {
  const handled: unknown[] = [];
  const closes: Array<string | undefined> = [];
  const server = createServer({
    protocol: binary,
    handshakeTimeout,
    idleTimeout,
    handler: {
      onMessage: (m) => void handled.push(m),
      onClose: (e) => closes.push(e?.code),
    },
  });
  const { port } = await server.listen(0, "127.0.0.1");
  onCleanup(() => server.close());
  let sequence = 0;
  const timer = setInterval(() => {
    sequence++;
    server.broadcast({ sequence, text: "news" });
  }, 10);
  onCleanup(() => clearInterval(timer));
  return { server, port, handled, closes, sent: () => sequence };
}

describe("default keepalive", () => {
  it("keeps a receive-only client connected; the server answers and delivers nothing", async () => {
    const b = await broadcaster(1000, 1500);
    const client = createClient({
      address: `127.0.0.1:${b.port}`,
      protocol: binary,
      keepaliveInterval: 150,
    });
    onCleanup(() => client.close());
    const disconnects: Array<TaurusError | undefined> = [];
    client.on("disconnect", (e) => disconnects.push(e));
    const got: number[] = [];
    client.on("message", (m) => got.push(m.sequence));
    await client.connect();
    const first = b.sent();
    // 17 keepalive round trips 150 ms apart span at least 2,400 ms: past the server's
    // 1,500 ms idle timeout (a condition, not a sleep).
    await until(
      () => (client.connection?.stats.keepalivesIn ?? 0) >= 17 || disconnects.length > 0,
      "17 keepalive round trips",
      20_000,
    );
    const last = b.sent();
    await until(() => got.includes(last));
    expect(disconnects).toEqual([]);
    expect(b.closes).toEqual([]);
    expect(b.handled).toEqual([]);
    // Every broadcast since it joined arrived, in order, with no gap.
    const seen = got.filter((s) => s > first && s <= last);
    expect(seen).toEqual(Array.from({ length: last - first }, (_, i) => first + i + 1));
    expect(client.connection?.stats.keepalivesIn).toBeGreaterThan(0);
  });

  it("is what keeps it: with keepalives off, the server's first-byte deadline cuts the client", async () => {
    const b = await broadcaster(200, 600);
    const client = createClient({
      address: `127.0.0.1:${b.port}`,
      protocol: binary,
      keepaliveInterval: 0,
      maxRetries: 0,
    });
    onCleanup(() => client.close());
    await client.connect();
    await until(() => b.closes.length === 1);
    expect(b.closes).toEqual(["HANDSHAKE_TIMEOUT"]);
  });

  it("defaults to half of the server's default first-byte deadline", () => {
    expect(DEFAULT_HEARTBEAT_INTERVAL).toBe(5_000);
    expect(DEFAULT_HEARTBEAT_INTERVAL * 2).toBeLessThanOrEqual(DEFAULT_HANDSHAKE_TIMEOUT);
  });
});
