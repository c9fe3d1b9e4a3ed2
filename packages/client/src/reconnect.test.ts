import { once } from "node:events";
import { Duplex } from "node:stream";
import { restartablePort } from "@taurus/adapter-redis/testing";
import type { TaurusError } from "@taurus/core-conn";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createClient } from "./client";
import type { ReconnectingInfo } from "./client-types";
import {
  freePort,
  onCleanup,
  rejection,
  runCleanups,
  seq,
  startServer,
  text,
  until,
} from "./fixtures/harness";
import type { SeqMessage } from "./fixtures/seq-protocol";

afterEach(async () => {
  vi.useRealTimers();
  await runCleanups();
});

const msg = (text: string): SeqMessage => ({ sequence: 0, text });

/** A socket that never connects. */
function hangingSocket(): Duplex {
  const socket = new Duplex({
    read() {},
    write(_chunk, _encoding, callback) {
      callback();
    },
  });
  return Object.assign(socket, { connecting: true });
}

describe("reconnection", () => {
  it("survives a server restart on the same port, delivering the offline queue exactly once, in order", async () => {
    // Below the ephemeral range: an outgoing connection cannot take it while the server is down.
    const first = await startServer({}, await restartablePort());
    const port = first.port;
    const c = createClient<SeqMessage>({
      address: `127.0.0.1:${port}`,
      protocol: seq,
      maxRetries: Number.POSITIVE_INFINITY,
      retryDelay: 10,
      maxRetryDelay: 40,
    });
    onCleanup(() => c.close());
    const disconnects: Array<string | undefined> = [];
    c.on("disconnect", (e) => disconnects.push(e?.code));
    await c.connect();
    for (let i = 0; i < 10; i++) c.send(msg(`a${i}`));
    await until(() => first.received.length === 10, "first batch");
    await first.server.close();
    await until(() => c.state === "reconnecting", "reconnecting");
    for (let i = 0; i < 50; i++) c.send(msg(`b${i}`));
    expect(c.queuedMessages).toBe(50);
    const second = await startServer({}, port);
    await once(c, "connect");
    c.send(msg("last"));
    await c.close();
    await until(() => second.received.length === 51, "offline queue and last message");
    expect(first.received.map(text)).toEqual(Array.from({ length: 10 }, (_, i) => `a${i}`));
    expect(second.received.map(text)).toEqual([
      ...Array.from({ length: 50 }, (_, i) => `b${i}`),
      "last",
    ]);
    expect(disconnects).toEqual([undefined, undefined]); // the server closed cleanly, then close()
    expect(c.stats).toMatchObject({ reconnects: 1, messagesSent: 61, discarded: 0 });
  });

  it("writes what onConnect sends (a join) before the offline queue", async () => {
    const srv = await startServer();
    const c = createClient<SeqMessage>({
      address: `127.0.0.1:${srv.port}`,
      protocol: seq,
      handler: { onConnect: (client) => client.send(msg("join")) },
    });
    onCleanup(() => c.close());
    c.send(msg("queued 1")); // before connect(): waits in the offline queue
    c.send(msg("queued 2"));
    await c.connect();
    c.send(msg("after"));
    await until(() => srv.received.length === 4, "four messages");
    expect(srv.received.map(text)).toEqual(["join", "queued 1", "queued 2", "after"]);
  });

  it("puts frames a dropped connection never wrote back in front of the offline queue", async () => {
    const srv = await startServer();
    const c = createClient<SeqMessage>({
      address: `127.0.0.1:${srv.port}`,
      protocol: seq,
      retryDelay: 5,
    });
    onCleanup(() => c.close());
    await c.connect();
    const conn = c.connection;
    c.send(msg("x1"));
    c.send(msg("x2")); // still in the connection's send queue (flushed at the end of the tick)
    conn?.destroy(); // drop it before the flush
    c.send(msg("x3"));
    expect(c.queuedMessages).toBe(3);
    await once(c, "connect");
    await until(() => srv.received.length === 3, "three messages");
    expect(srv.received.map(text)).toEqual(["x1", "x2", "x3"]);
  });

  it("rejects connect() with SOCKET once retries are exhausted, and ends closed", async () => {
    const port = await freePort();
    const c = createClient<SeqMessage>({
      address: `127.0.0.1:${port}`,
      protocol: seq,
      maxRetries: 2,
      retryDelay: 1,
    });
    const attempts: number[] = [];
    c.on("reconnecting", (info) => attempts.push(info.attempt));
    const closed = new Promise<TaurusError | undefined>((resolve) => c.once("close", resolve));
    const error = await rejection(c.connect());
    expect(error.code).toBe("SOCKET");
    expect(error.cause).toBeInstanceOf(Error);
    expect(c.state).toBe("closed");
    expect(attempts).toEqual([1, 2]);
    expect((await closed)?.code).toBe("SOCKET");
    expect((await rejection(c.connect())).code).toBe("CONNECTION_CLOSED");
  });

  it("goes to closed and emits close with the error after retries are exhausted following a drop", async () => {
    const srv = await startServer();
    const c = createClient<SeqMessage>({
      address: `127.0.0.1:${srv.port}`,
      protocol: seq,
      maxRetries: 2,
      retryDelay: 1,
    });
    await c.connect();
    c.send(msg("kept")); // flushed before the server goes away
    const closed = new Promise<TaurusError | undefined>((resolve) => c.once("close", resolve));
    await until(() => srv.received.length === 1, "message");
    await srv.server.close();
    expect((await closed)?.code).toBe("SOCKET");
    expect(c.state).toBe("closed");
  });

  it("fails an attempt that never completes with CONNECT_TIMEOUT", async () => {
    const c = createClient<SeqMessage>({
      address: "127.0.0.1:9",
      protocol: seq,
      connect: hangingSocket,
      connectTimeout: 30,
      maxRetries: 0,
    });
    const error = await rejection(c.connect());
    expect(error.code).toBe("CONNECT_TIMEOUT");
    expect(c.state).toBe("closed");
  });

  it("waits within the backoff bounds between attempts (fake timers, deterministic random)", () => {
    vi.useFakeTimers();
    const draws = [0, 0.5, 0.999, 0.25, 0, 0.75];
    let calls = 0;
    const c = createClient<SeqMessage>({
      address: "127.0.0.1:9",
      protocol: seq,
      maxRetries: 6,
      retryDelay: 100,
      maxRetryDelay: 1000,
      random: () => draws.shift() ?? 0,
      connect: () => {
        calls++;
        throw new Error("refused");
      },
    });
    const infos: ReconnectingInfo[] = [];
    c.on("reconnecting", (info) => infos.push(info));
    const connected = c.connect();
    connected.catch(() => {});
    expect(calls).toBe(1);
    for (let attempt = 1; attempt <= 6; attempt++) {
      const info = infos[attempt - 1] as ReconnectingInfo;
      const d = Math.min(1000, 100 * 2 ** (attempt - 1));
      expect(info.attempt).toBe(attempt);
      expect(info.error.code).toBe("SOCKET");
      expect(info.delay).toBeGreaterThanOrEqual(d / 2);
      expect(info.delay).toBeLessThanOrEqual(d);
      vi.advanceTimersByTime(Math.floor(info.delay) - 1);
      expect(calls).toBe(attempt);
      vi.advanceTimersByTime(1);
      expect(calls).toBe(attempt + 1);
    }
    expect(infos.map((i) => i.delay)).toEqual([50, 150, 399.8, 500, 500, 875]);
    expect(c.state).toBe("closed");
    expect(vi.getTimerCount()).toBe(0);
  });

  it("stops retrying when closed while a retry is scheduled: no attempt, no timer left", async () => {
    vi.useFakeTimers();
    let calls = 0;
    const c = createClient<SeqMessage>({
      address: "127.0.0.1:9",
      protocol: seq,
      maxRetries: Number.POSITIVE_INFINITY,
      retryDelay: 100,
      connect: () => {
        calls++;
        throw new Error("refused");
      },
    });
    const connecting = c.connect();
    c.send(msg("never sent"));
    vi.advanceTimersByTime(1000);
    expect(c.state).toBe("reconnecting");
    const before = calls;
    await c.close();
    expect((await rejection(connecting)).code).toBe("CONNECTION_CLOSED");
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(60_000);
    expect(calls).toBe(before);
    expect(c.state).toBe("closed");
    expect(c.stats.discarded).toBe(1);
  });

  it("stops a connect in flight when closed", async () => {
    const sockets: Duplex[] = [];
    const c = createClient<SeqMessage>({
      address: "127.0.0.1:9",
      protocol: seq,
      connect: () => {
        const s = hangingSocket();
        sockets.push(s);
        return s;
      },
    });
    const connecting = c.connect();
    expect(c.state).toBe("connecting");
    await c.close();
    expect((await rejection(connecting)).code).toBe("CONNECTION_CLOSED");
    expect(sockets).toHaveLength(1);
    expect(sockets[0]?.destroyed).toBe(true);
  });
});
