// The Redis session store against a real redis-server on a random port.
import { until } from "@taurus/core-conn/testing";
import type { SessionRecord } from "@taurus/server";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRedisSessionStore, type RedisSessionStore } from "./index";
import { startRedis, type TestRedis } from "./testing";

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis({ persistence: true });
});
afterAll(async () => {
  await redis.stop();
});

const stores: RedisSessionStore[] = [];
function store(options: Parameters<typeof createRedisSessionStore>[0] = {}): RedisSessionStore {
  const s = createRedisSessionStore({ url: redis.url, ...options });
  stores.push(s);
  return s;
}
afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
});

const frame = (text: string): Uint8Array => new Uint8Array(Buffer.from(text));
const texts = (frames: Uint8Array[]): string[] => frames.map((f) => Buffer.from(f).toString());
const record = (id: string, more: Partial<SessionRecord> = {}): SessionRecord => ({
  id,
  received: 0,
  sent: 0,
  acknowledged: 0,
  pending: [],
  address: "127.0.0.1",
  expiresAt: 0,
  ...more,
});

describe("RedisSessionStore", () => {
  it("keeps counts and the unacknowledged frames, in order, binary bytes intact", async () => {
    const s = store({ prefix: "t1:" });
    await s.create(record("a", { identity: '{"user":"ann"}' }));
    expect(await s.load("a")).toEqual(record("a", { identity: '{"user":"ann"}' }));
    await s.append("a", [frame("one"), frame("two")], 2);
    await s.append("a", [new Uint8Array([0xca, 0xfe, 0x00, 0xff])], 3);
    await s.received("a", 5);
    const loaded = await s.load("a");
    expect(loaded).toMatchObject({ received: 5, sent: 3, acknowledged: 0, address: "127.0.0.1" });
    expect(texts(loaded!.pending.slice(0, 2))).toEqual(["one", "two"]);
    expect([...loaded!.pending[2]!]).toEqual([0xca, 0xfe, 0x00, 0xff]);
    expect(await s.count()).toBe(1);
  });

  it("an acknowledgement drops the acknowledged frames; older counts change nothing", async () => {
    const s = store({ prefix: "t2:" });
    await s.create(record("b", { sent: 1, pending: [frame("0")] }));
    await s.append("b", [frame("1"), frame("2")], 3);
    await s.acknowledge("b", 2);
    await s.acknowledge("b", 1);
    expect(await s.load("b")).toMatchObject({ sent: 3, acknowledged: 2 });
    expect(texts((await s.load("b"))!.pending)).toEqual(["2"]);
    await s.received("b", 7);
    await s.received("b", 3);
    expect((await s.load("b"))!.received).toBe(7);
  });

  it("keeps reply marks of pending frames, and drops them with their frames", async () => {
    const s = store({ prefix: "t2m:" });
    await s.create(record("m"));
    await s.append("m", [frame("1")], 1);
    await s.append("m", [frame("2")], 2, 7); // frame 2 answers the client's request frame 7
    await s.append("m", [frame("3")], 3, 12);
    expect((await s.load("m"))?.replies).toEqual([
      [2, 7],
      [3, 12],
    ]);
    await s.acknowledge("m", 2);
    expect((await s.load("m"))?.replies).toEqual([[3, 12]]);
    await s.acknowledge("m", 3);
    expect((await s.load("m"))?.replies).toBeUndefined();
    // create() (a session's state rewritten whole) keeps the marks it is given.
    await s.create(record("n", { sent: 1, pending: [frame("x")], replies: [[1, 4]] }));
    expect((await s.load("n"))?.replies).toEqual([[1, 4]]);
  });

  it("a write to an unknown session changes nothing and does not reject", async () => {
    const s = store({ prefix: "t3:" });
    await s.append("nobody", [frame("x")], 1);
    await s.acknowledge("nobody", 1);
    await s.received("nobody", 1);
    await s.detach("nobody", Date.now() + 1000);
    await s.attach("nobody");
    await s.delete("nobody");
    expect(await s.load("nobody")).toBeUndefined();
    expect(await s.count()).toBe(0);
  });

  it("bounds the buffer by frames and by bytes: an append past either is refused whole", async () => {
    const s = store({ prefix: "t4:", maxMessages: 3, maxBytes: 10 });
    await s.create(record("c"));
    await s.append("c", [frame("aa"), frame("bb")], 2);
    await expect(s.append("c", [frame("cc"), frame("dd")], 4)).rejects.toMatchObject({
      code: "SEND_QUEUE_FULL",
    });
    await expect(s.append("c", [frame("0123456789")], 3)).rejects.toMatchObject({
      code: "SEND_QUEUE_FULL",
    });
    expect(await s.load("c")).toMatchObject({ sent: 2 });
    await s.acknowledge("c", 2);
    await s.append("c", [frame("cc"), frame("dd"), frame("ee")], 5);
    expect(texts((await s.load("c"))!.pending)).toEqual(["cc", "dd", "ee"]);
  });

  it("a detached session expires at its expiresAt; expire() hands it to one instance only", async () => {
    const a = store({ prefix: "t5:" });
    const b = store({ prefix: "t5:" });
    await a.create(record("d"));
    await a.create(record("e"));
    await a.append("d", [frame("x")], 1);
    const now = Date.now();
    await a.detach("d", now + 50);
    await a.detach("e", now + 60_000);
    expect(await a.expire(now)).toEqual([]);
    // Past its expiresAt, load() no longer returns it.
    await until(async () => (await a.load("d")) === undefined, { timeout: 5_000 });
    const [first, second] = await Promise.all([a.expire(Date.now()), b.expire(Date.now())]);
    const taken = [...first, ...second];
    expect(taken).toHaveLength(1);
    expect(taken[0]).toMatchObject({ id: "d", sent: 1, acknowledged: 0 });
    expect(texts(taken[0]!.pending)).toEqual(["x"]);
    expect(await a.count()).toBe(1);
    // Attached again, a session does not expire.
    await a.attach("e");
    expect(await a.expire(now + 120_000)).toEqual([]);
    expect((await b.load("e"))!.expiresAt).toBe(0);
  });

  it("a held session gets Redis's time to live, renewed by writes; a detached one expires there too", async () => {
    const s = store({ prefix: "t6:", ttl: 60_000 });
    const admin = new Redis(redis.url);
    try {
      await s.create(record("f"));
      const ttl = Number(await admin.pttl("t6:{f}"));
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(60_000);
      await s.detach("f", Date.now() + 1_000);
      // expiresAt + a grace of 60 s, for expire() to report it first.
      expect(Number(await admin.pttl("t6:{f}"))).toBeGreaterThan(60_000);
    } finally {
      admin.disconnect();
    }
  });

  it("a session written by one instance resumes on another, and survives a Redis restart", async () => {
    const first = store({ prefix: "t7:" });
    const second = store({ prefix: "t7:" });
    await first.create(record("g"));
    await first.append("g", [frame("m1"), frame("m2")], 2);
    await first.received("g", 9);
    await redis.stop();
    await redis.restart();
    const resumed = await second.load("g");
    expect(resumed).toMatchObject({ received: 9, sent: 2, acknowledged: 0 });
    expect(texts(resumed!.pending)).toEqual(["m1", "m2"]);
    await second.delete("g");
    expect(await first.load("g")).toBeUndefined();
    expect(await first.count()).toBe(0);
  });

  it("Redis away: a write rejects with SOCKET, never hangs", async () => {
    const s = store({ url: "redis://127.0.0.1:1" });
    await expect(s.create(record("h"))).rejects.toMatchObject({ code: "SOCKET" });
  });

  it("refuses options out of range", () => {
    expect(() => createRedisSessionStore({ ttl: 0 })).toThrow(
      expect.objectContaining({ code: "INVALID_OPTION" }),
    );
  });
});
