import net from "node:net";
import type { TaurusError } from "@taurus/core-conn";
import { describe, expect, it } from "vitest";
import { collect, connectRaw, msg, onCleanup, startServer, until } from "./test-helpers";

/** A plain socket that never reads what the server sends; destroyed after the test. */
async function nonReader(port: number): Promise<net.Socket> {
  const socket = net.connect({ host: "127.0.0.1", port });
  onCleanup(() => socket.destroy());
  await new Promise<void>((r) => socket.once("connect", r));
  socket.pause();
  return socket;
}

describe("connection limits", () => {
  it("refuses connections past maxConnections at once, counts them, and keeps serving", async () => {
    const codes: string[] = [];
    const { server, port } = await startServer({
      maxConnections: 3,
      handler: { onMessage: (m, c) => void c.send(m), onError: (e) => codes.push(e.code) },
    });
    const kept = await Promise.all([1, 2, 3].map(() => connectRaw(port)));
    await until(() => server.connectionCount === 3);
    const extra = await connectRaw(port);
    const closed = new Promise<void>((r) => extra.once("close", () => r()));
    await closed;
    expect(server.metrics.snapshot().connection_refused).toBe(1);
    expect(codes).toEqual(["CONNECTION_LIMIT"]);
    // The accepted ones are still served.
    const got = collect(kept[0]!, 1);
    kept[0]!.send(msg(7));
    expect((await got)[0]?.sequence).toBe(7);
    // And a slot freed is a slot usable again.
    kept[1]!.destroy();
    await until(() => server.connectionCount === 2);
    const again = await connectRaw(port);
    const echoed = collect(again, 1);
    again.send(msg(8));
    expect((await echoed)[0]?.sequence).toBe(8);
  });

  it("limits concurrent connections per address when asked", async () => {
    // The loopback address is trusted by default: limit it too, for this test.
    const { server, port } = await startServer({ perAddress: { maxConcurrent: 2, trusted: [] } });
    await connectRaw(port);
    await connectRaw(port);
    await until(() => server.connectionCount === 2);
    const third = await connectRaw(port);
    await new Promise<void>((r) => third.once("close", () => r()));
    expect(server.metrics.snapshot().connection_refused).toBe(1);
  });

  it("closes a connection that sends no first byte within handshakeTimeout", async () => {
    const closes: Array<string | undefined> = [];
    const { port } = await startServer({
      handshakeTimeout: 50,
      handler: { onClose: (e) => closes.push(e?.code) },
    });
    await connectRaw(port);
    await until(() => closes.length === 1);
    expect(closes).toEqual(["HANDSHAKE_TIMEOUT"]);
  });

  it("closes an idle connection after idleTimeout", async () => {
    const closes: Array<string | undefined> = [];
    const { port } = await startServer({
      idleTimeout: 60,
      handler: { onClose: (e) => closes.push(e?.code) },
    });
    const client = await connectRaw(port);
    client.send(msg(1));
    await until(() => closes.length === 1);
    expect(closes).toEqual(["IDLE_TIMEOUT"]);
  });
});

describe("rate limit", () => {
  it("pauses a connection over its rate and handles every message, in order", async () => {
    const seen: number[] = [];
    const { server, port } = await startServer({
      rateLimit: 200,
      rateLimitBurst: 10,
      handler: { onMessage: (m) => void seen.push(m.sequence) },
    });
    const client = await connectRaw(port);
    const started = performance.now();
    for (let i = 1; i <= 40; i++) client.send(msg(i));
    await until(() => seen.length === 40);
    const elapsed = performance.now() - started;
    expect(seen).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    // 30 messages past the burst at 200/s cannot take less than ~150 ms: the limit was applied.
    expect(elapsed).toBeGreaterThanOrEqual(140);
    expect(server.metrics.snapshot().errors_by_code.RATE_LIMITED).toBeUndefined();
  });

  it("drops messages over the rate under the drop policy, counting each", async () => {
    const seen: number[] = [];
    const codes: string[] = [];
    const { server, port } = await startServer({
      rateLimit: 1,
      rateLimitBurst: 5,
      rateLimitPolicy: "drop",
      handler: {
        onMessage: (m) => void seen.push(m.sequence),
        onError: (e) => codes.push(e.code),
      },
    });
    const client = await connectRaw(port);
    for (let i = 1; i <= 12; i++) client.send(msg(i));
    await until(() => seen.length + codes.length === 12);
    expect(seen).toEqual([1, 2, 3, 4, 5]);
    expect(codes).toEqual(Array(7).fill("RATE_LIMITED"));
    expect(server.metrics.snapshot().errors_by_code.RATE_LIMITED).toBe(7);
  });

  it("closes a connection over its rate under the close policy", async () => {
    const closes: Array<string | undefined> = [];
    const { port } = await startServer({
      rateLimit: 1,
      rateLimitBurst: 2,
      rateLimitPolicy: "close",
      handler: { onClose: (e) => closes.push(e?.code) },
    });
    const client = await connectRaw(port);
    for (let i = 1; i <= 5; i++) client.send(msg(i));
    await until(() => closes.length === 1);
    expect(closes).toEqual(["RATE_LIMITED"]);
  });
});

describe("slow consumers", () => {
  it("rejects sends to a peer that never reads once its queue is full, and memory stays bounded", async () => {
    const errors: TaurusError[] = [];
    const { server, port } = await startServer({ sendQueueSize: 64, sendQueueBytes: 64 * 1024 });
    await nonReader(port);
    await until(() => server.connectionCount === 1);
    const conn = [...server.connections()][0]!;
    const payload = msg(1, "z".repeat(4000));
    for (let round = 0; round < 100; round++) {
      for (let i = 0; i < 20; i++) {
        try {
          conn.send(payload);
        } catch (e) {
          errors.push(e as TaurusError);
        }
      }
      await new Promise((r) => setImmediate(r));
    }
    expect(errors.length).toBeGreaterThan(0);
    expect(new Set(errors.map((e) => e.code))).toEqual(new Set(["SEND_QUEUE_FULL"]));
    expect(conn.state).toBe("open");
    // Queue bound + one socket high-water mark + one coalesced batch.
    expect(conn.bufferedAmount).toBeLessThanOrEqual(64 * 1024 + 64 * 1024 + 64 * 1024);
    expect(server.metrics.snapshot().errors_by_code.SEND_QUEUE_FULL).toBe(errors.length);
    // The send-queue depth gauge follows the queue, and returns to 0 when the connection goes.
    expect(conn.queuedMessages).toBeGreaterThan(0);
    expect(server.metrics.snapshot().send_queue_depth).toBe(conn.queuedMessages);
    conn.destroy();
    expect(server.metrics.snapshot().send_queue_depth).toBe(0);
  });

  it("disconnects a slow consumer under the disconnect policy while others keep their rate", async () => {
    const closes: Array<string | undefined> = [];
    const { server, port } = await startServer({
      sendQueueSize: 16,
      // The defaults this test was written against: a 16 MiB queue bound (now 64 KiB on a
      // server) and no write deadline (now 5 s), so the queue bound is what cuts it off.
      sendQueueBytes: 16 * 1024 * 1024,
      writeTimeout: 0,
      slowConsumerPolicy: "disconnect",
      handler: { onClose: (e) => closes.push(e?.code) },
    });
    await nonReader(port);
    const reader = await connectRaw(port);
    await until(() => server.connectionCount === 2);
    // 32 MiB in all: far more than the kernel's socket buffers absorb for the peer that never reads.
    const got = collect(reader, 1000);
    const payload = "b".repeat(32 * 1024);
    // The producer keeps to the pace of the peer that reads (it waits while that peer's
    // queue is over half full), so only the peer that never reads can fill its queue.
    const readerSide = [...server.connections()].find((c) => c.remotePort === reader.localPort);
    if (!readerSide) throw new Error("the reader's server side is not found");
    for (let i = 1; i <= 1000; i++) {
      server.broadcast(msg(i, payload));
      if (i % 4 === 0) await until(() => readerSide.queuedMessages <= 8);
    }
    const received = await got;
    expect(received.map((m) => m.sequence)).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
    await until(() => closes.length === 1);
    expect(closes).toEqual(["SEND_QUEUE_FULL"]);
    expect(server.connectionCount).toBe(1);
  });
});
