// What a client does before a server has answered: one keepalive probe for a server that
// does not speak the control space (the Go original hands unknown types to its handler),
// and no backoff reset for a server that accepts and never answers (a frozen process).
import type net from "node:net";
import type { Protocol } from "@taurus/core-conn";
import { createServer } from "@taurus/server";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createClient } from "./client";
import { onCleanup, runCleanups, seq, startRawServer, until } from "./fixtures/harness";
import type { SeqMessage } from "./fixtures/seq-protocol";
import { DEFAULT_MAX_RETRIES } from "./options";

afterEach(async () => {
  vi.useRealTimers();
  await runCleanups();
});

const PING = "\u0001ping";
/** The seq protocol with a keepalive, as both Taurus protocols have. */
const withKeepalive: Protocol<SeqMessage> = {
  ...seq,
  keepalive: {
    ping: { sequence: 0, text: PING },
    pong: { sequence: 0, text: "\u0001pong" },
    kind: (m) => (m.text === PING ? "ping" : m.text === "\u0001pong" ? "pong" : undefined),
  },
};

/** Occurrences of `needle` in what a raw server received. */
function count(received: Buffer[], needle: string): number {
  return Buffer.concat(received).toString("latin1").split(needle).length - 1;
}

describe("keepalive probe", () => {
  it("sends a server that never answers pings exactly one, then pings no more", async () => {
    const received: Buffer[] = [];
    const port = await startRawServer((socket) => socket.on("data", (d) => received.push(d)));
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    const client = createClient({
      address: `127.0.0.1:${port}`,
      protocol: withKeepalive,
      keepaliveInterval: 100,
    });
    onCleanup(() => client.close());
    await client.connect();
    await until(() => count(received, PING) === 1, "the probe");
    vi.advanceTimersByTime(100 * 20); // twenty beats
    client.send({ sequence: 7, text: "sentinel" });
    await until(() => count(received, "sentinel") === 1, "the sentinel");
    expect(count(received, PING)).toBe(1);
  });

  it("keeps pinging a server that answered the probe with a pong", async () => {
    const pings: number[] = [];
    const server = createServer({
      protocol: withKeepalive,
      handler: { onConnect: (conn) => void pings.push(conn.stats.keepalivesIn) },
    });
    const { port } = await server.listen(0, "127.0.0.1");
    onCleanup(() => server.close());
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    const client = createClient({
      address: `127.0.0.1:${port}`,
      protocol: withKeepalive,
      keepaliveInterval: 100,
    });
    onCleanup(() => client.close());
    await client.connect();
    await until(() => (client.connection?.stats.keepalivesIn ?? 0) === 1, "the pong");
    vi.advanceTimersByTime(100 * 3);
    await until(() => (client.connection?.stats.keepalivesIn ?? 0) === 4, "three more pongs");
  });
});

describe("backoff before a server answers", () => {
  function attempts(port: number) {
    const seen: number[] = [];
    const client = createClient({
      address: `127.0.0.1:${port}`,
      protocol: seq,
      keepaliveInterval: 0,
      retryDelay: 1,
      maxRetryDelay: 4,
    });
    client.on("reconnecting", ({ attempt }) => seen.push(attempt));
    onCleanup(() => client.close());
    void client.connect().catch(() => {});
    return seen;
  }

  it("keeps growing against a server that accepts and drops without a byte", async () => {
    const port = await startRawServer((socket: net.Socket) => socket.destroy());
    const seen = attempts(port);
    await until(() => seen.length >= 4, "four retries");
    expect(seen.slice(0, 4)).toEqual([1, 2, 3, 4]);
  });

  it("restarts once the server has sent its first byte", async () => {
    const hello = seq.encode({ sequence: 1, text: "hello" });
    const port = await startRawServer((socket: net.Socket) => socket.end(hello));
    const seen = attempts(port);
    await until(() => seen.length >= 4, "four retries");
    expect(seen.slice(0, 4)).toEqual([1, 1, 1, 1]);
  });

  it("never gives up by default", () => {
    expect(DEFAULT_MAX_RETRIES).toBe(Number.POSITIVE_INFINITY);
  });
});
