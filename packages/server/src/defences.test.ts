// The server's defences with their defaults: farewells, the memory budget, the
// write deadline, pipelining under backpressure, bounded accepts, and running
// out of file descriptors. Attackers connect from 127.0.0.2, users from 127.0.0.3.
import net from "node:net";
import type { TaurusError } from "@taurus/core-conn";
import type { BinaryMessage } from "@taurus/protocol-binary";
import { describe, expect, it } from "vitest";
import { ACCEPTS_PER_TICK, AcceptQueue } from "./accept-queue";
import { binary, collect, connectRaw, msg, onCleanup, startServer, until } from "./test-helpers";

const ATTACKER = "127.0.0.2";
const USER = "127.0.0.3";

/** A raw socket from `localAddress` that collects what it reads. */
async function rawFrom(port: number, localAddress: string, read = true) {
  const socket = net.connect({ host: "127.0.0.1", port, localAddress });
  socket.on("error", () => {});
  onCleanup(() => socket.destroy());
  const chunks: Buffer[] = [];
  if (read) socket.on("data", (c: Buffer) => chunks.push(c));
  await new Promise<void>((r) => socket.once("connect", r));
  const closed = new Promise<void>((r) => socket.once("close", () => r()));
  return { socket, chunks, closed };
}

/** Decodes every whole frame of `bytes`. */
function frames(bytes: Buffer): BinaryMessage[] {
  const out: BinaryMessage[] = [];
  let at = 0;
  while (at < bytes.length) {
    const r = binary.decode(bytes, at, bytes.length, binary.maxMessageSize);
    if (r.kind !== "message") break;
    out.push(r.message);
    at += r.consumed;
  }
  return out;
}

describe("farewell", () => {
  it("tells a refused connection and a timed-out one why, before the close", async () => {
    const { port } = await startServer({
      maxConnections: 1,
      handshakeTimeout: 100,
      handler: { farewell: (error) => msg(0, `bye: ${error.code}`, 1) },
    });
    const first = await rawFrom(port, USER);
    await until(() => first.chunks.length > 0 || first.socket.destroyed, { timeout: 5000 });
    await first.closed;
    expect(frames(Buffer.concat(first.chunks)).map((m) => Buffer.from(m.data).toString())).toEqual([
      "bye: HANDSHAKE_TIMEOUT",
    ]);
    const held = await connectRaw(port, USER);
    held.send(msg(1));
    const refused = await rawFrom(port, ATTACKER);
    await refused.closed;
    expect(
      frames(Buffer.concat(refused.chunks)).map((m) => Buffer.from(m.data).toString()),
    ).toEqual(["bye: CONNECTION_LIMIT"]);
  });
});

describe("memory budget", () => {
  it("closes the largest holder with MEMORY_BUDGET; the budget holds; a user is served", async () => {
    const closes: string[] = [];
    const { server, port } = await startServer({
      memoryBudget: 1024 * 1024,
      handler: {
        onMessage: (m, c) => void c.send(m),
        onClose: (e) => closes.push(e?.code ?? "clean"),
      },
    });
    // 30 attackers, each holding all but the last byte of a 60 KB frame: 1.8 MB offered.
    const frame = Buffer.from(binary.encode(msg(1, "a".repeat(60_000))));
    const attackers = await Promise.all(
      Array.from({ length: 30 }, () => rawFrom(port, ATTACKER, false)),
    );
    let peak = 0;
    for (const a of attackers) {
      a.socket.write(frame.subarray(0, frame.length - 1));
      await new Promise((r) => setTimeout(r, 5));
      peak = Math.max(peak, server.memoryBudget.used);
    }
    await until(() => closes.filter((c) => c === "MEMORY_BUDGET").length > 0, { timeout: 5000 });
    const user = await connectRaw(port, USER);
    const got = collect(user, 1);
    user.send(msg(42, "hello"));
    expect((await got)[0]?.sequence).toBe(42);
    expect(peak).toBeLessThanOrEqual(1024 * 1024 + 64 * 1024);
    expect(server.memoryBudget.used).toBeLessThanOrEqual(1024 * 1024);
    expect(server.metrics.snapshot().errors_by_code.MEMORY_BUDGET).toBeGreaterThan(0);
  });
});

describe("write deadline", () => {
  it("evicts a peer that never reads with SLOW_CONSUMER; readers keep every broadcast", async () => {
    const closes: Array<string | undefined> = [];
    const { server, port } = await startServer({
      writeTimeout: 1000,
      handler: { onClose: (e) => closes.push(e?.code) },
    });
    const stalled = await rawFrom(port, ATTACKER, false);
    stalled.socket.pause();
    const reader = await connectRaw(port, USER);
    await until(() => server.connectionCount === 2);
    const total = 400;
    const got = collect(reader, total);
    const payload = "s".repeat(16 * 1024);
    for (let i = 1; i <= total; i++) {
      server.broadcast(msg(i, payload));
      await new Promise((r) => setImmediate(r));
      if (i % 50 === 0) await new Promise((r) => setTimeout(r, 20));
    }
    expect((await got).map((m) => m.sequence)).toEqual(
      Array.from({ length: total }, (_, i) => i + 1),
    );
    await until(() => closes.includes("SLOW_CONSUMER"), { timeout: 5000 });
    expect(server.metrics.snapshot().errors_by_code.SLOW_CONSUMER).toBe(1);
    expect(server.connectionCount).toBe(1);
  });
});

describe("pipelining", () => {
  it("answers 10,000 binary frames sent in one write with 10,000 replies", async () => {
    const errors: TaurusError[] = [];
    const { port } = await startServer({
      // No message rate limit (as startServer's rateLimit: Infinity), per address too.
      perAddress: { messagesPerSecond: Number.POSITIVE_INFINITY },
      handler: { onMessage: (m, c) => void c.send(m), onError: (e) => errors.push(e) },
    });
    const client = await rawFrom(port, USER);
    const all = Buffer.concat(
      Array.from({ length: 10_000 }, (_, i) => Buffer.from(binary.encode(msg(i + 1)))),
    );
    client.socket.write(all);
    const size = binary.encode(msg(1)).length;
    await until(() => client.chunks.reduce((n, c) => n + c.length, 0) >= size * 10_000, {
      timeout: 20_000,
    });
    const replies = frames(Buffer.concat(client.chunks));
    expect(replies.length).toBe(10_000);
    expect(replies.every((m, i) => m.sequence === i + 1)).toBe(true);
    expect(errors.map((e) => e.code)).toEqual([]);
  });
});

describe("accepting", () => {
  it("sets up at most ACCEPTS_PER_TICK connections per turn of the event loop", async () => {
    const setUp: number[] = [];
    const queue = new AcceptQueue<number>((_socket, n) => setUp.push(n));
    const fake = () => ({ on() {}, off() {} }) as unknown as net.Socket;
    for (let i = 0; i < ACCEPTS_PER_TICK * 3 + 5; i++) queue.push(fake(), i);
    expect(setUp.length).toBe(ACCEPTS_PER_TICK);
    expect(queue.length).toBe(ACCEPTS_PER_TICK * 2 + 5);
    await new Promise((r) => setImmediate(r));
    expect(setUp.length).toBe(ACCEPTS_PER_TICK * 2);
    await until(() => queue.length === 0);
    expect(setUp).toEqual(Array.from({ length: ACCEPTS_PER_TICK * 3 + 5 }, (_, i) => i));
  });

  it("reports running out of file descriptors once, and resumes on the next accept", async () => {
    const errors: string[] = [];
    const { server, port } = await startServer({
      handler: { onMessage: (m, c) => void c.send(m), onError: (e) => errors.push(e.code) },
    });
    const events: string[] = [];
    server.on("acceptPaused", (e) => events.push(`paused ${e.code}`));
    server.on("acceptResumed", () => events.push("resumed"));
    const listener = (server as unknown as { listener: net.Server }).listener;
    const emfile = Object.assign(new Error("accept EMFILE"), { code: "EMFILE", syscall: "accept" });
    for (let i = 0; i < 100; i++) listener.emit("error", emfile);
    expect(errors).toEqual(["FD_EXHAUSTED"]);
    expect(events).toEqual(["paused FD_EXHAUSTED"]);
    expect(server.metrics.snapshot().errors_by_code.FD_EXHAUSTED).toBe(100);
    const user = await connectRaw(port, USER);
    const got = collect(user, 1);
    user.send(msg(3));
    expect((await got)[0]?.sequence).toBe(3);
    expect(events).toEqual(["paused FD_EXHAUSTED", "resumed"]);
    expect(server.address()?.port).toBe(port);
  });
});
