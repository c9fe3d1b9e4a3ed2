// The Redis session store against a real redis-server on a random port.
import { until } from "@taurus/core-conn/testing";
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

describe("RedisSessionStore", () => {
  it("keeps counts and the unacknowledged frames, in order, binary bytes intact", async () => {
    const s = store();
    await s.create("a");
    expect(await s.load("a")).toEqual({ received: 0, sent: 0, acked: 0, unacked: [] });
    expect(await s.append("a", [frame("one"), frame("two")])).toBe(2);
    expect(await s.append("a", [new Uint8Array([0xca, 0xfe, 0x00, 0xff])])).toBe(3);
    expect(await s.received("a", 5)).toBe(5);
    const loaded = await s.load("a");
    expect(loaded).toMatchObject({ received: 5, sent: 3, acked: 0 });
    expect(texts(loaded!.unacked.slice(0, 2))).toEqual(["one", "two"]);
    expect([...loaded!.unacked[2]!]).toEqual([0xca, 0xfe, 0x00, 0xff]);
  });

  it("an acknowledgement drops the acknowledged frames; an older one changes nothing", async () => {
    const s = store();
    await s.create("b");
    await s.append("b", [frame("1"), frame("2"), frame("3")]);
    expect(await s.acknowledge("b", 2)).toBe(2);
    expect(await s.acknowledge("b", 1)).toBe(2);
    expect(await s.load("b")).toMatchObject({ sent: 3, acked: 2 });
    expect(texts((await s.load("b"))!.unacked)).toEqual(["3"]);
    await expect(s.acknowledge("b", 4)).rejects.toMatchObject({ code: "INVALID_MESSAGE" });
    // The received count never goes back.
    await s.received("b", 7);
    expect(await s.received("b", 3)).toBe(7);
  });

  it("bounds the buffer by frames and by bytes: an append past either is refused whole", async () => {
    const s = store({ maxMessages: 3, maxBytes: 10 });
    await s.create("c");
    await s.append("c", [frame("aa"), frame("bb")]);
    await expect(s.append("c", [frame("cc"), frame("dd")])).rejects.toMatchObject({
      code: "SEND_QUEUE_FULL",
    });
    await expect(s.append("c", [frame("0123456789")])).rejects.toMatchObject({
      code: "SEND_QUEUE_FULL",
    });
    expect(await s.load("c")).toMatchObject({ sent: 2, acked: 0 });
    // Acknowledged frames free their room.
    await s.acknowledge("c", 2);
    expect(await s.append("c", [frame("cc"), frame("dd"), frame("ee")])).toBe(5);
  });

  it("a session expires after its time to live; every write renews it", async () => {
    const s = store({ ttl: 300 });
    await s.create("d");
    const admin = new Redis(redis.url);
    try {
      const ttl = async () => Number(await admin.pttl("taurus:session:{d}"));
      expect(await ttl()).toBeGreaterThan(0);
      expect(await ttl()).toBeLessThanOrEqual(300);
      await s.append("d", [frame("x")]);
      expect(Number(await admin.pttl("taurus:session:{d}:out"))).toBeGreaterThan(0);
      // Expiry is Redis's own clock: await it as a condition, through the admin connection
      // (the store's load() would renew the time to live).
      await until(async () => (await admin.exists("taurus:session:{d}")) === 0, {
        timeout: 10_000,
        what: "the session's expiry",
      });
      expect(await admin.exists("taurus:session:{d}", "taurus:session:{d}:out")).toBe(0);
    } finally {
      admin.disconnect();
    }
    await expect(s.append("d", [frame("y")])).rejects.toMatchObject({ code: "CONNECTION_CLOSED" });
    await expect(s.received("d", 1)).rejects.toMatchObject({ code: "CONNECTION_CLOSED" });
    expect(await s.load("d")).toBeUndefined();
  });

  it("a session written by one instance resumes on another, and survives a Redis restart", async () => {
    const first = store();
    const second = store();
    await first.create("e");
    await first.append("e", [frame("m1"), frame("m2")]);
    await first.received("e", 9);
    await redis.stop();
    await redis.restart();
    const resumed = await second.load("e");
    expect(resumed).toMatchObject({ received: 9, sent: 2, acked: 0 });
    expect(texts(resumed!.unacked)).toEqual(["m1", "m2"]);
    await second.delete("e");
    expect(await first.load("e")).toBeUndefined();
  });

  it("Redis away: a write rejects with SOCKET, never hangs", async () => {
    const s = store({ url: "redis://127.0.0.1:1" });
    await expect(s.create("f")).rejects.toMatchObject({ code: "SOCKET" });
  });

  it("refuses options out of range", () => {
    expect(() => createRedisSessionStore({ ttl: 0 })).toThrow(
      expect.objectContaining({ code: "INVALID_OPTION" }),
    );
  });
});
