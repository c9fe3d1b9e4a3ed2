// What crosses Redis and what is lost on the way, counted exactly: two adapters on a real
// redis-server, one publishing numbered payloads, the other collecting them, while Redis is
// killed, an instance is cut off at its output-buffer limit, or falls behind a stream's cap.
import { until as waitUntil } from "@taurus/core-conn/testing";
import type { BackplaneMembership } from "@taurus/server";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { KIND_MESSAGE, KIND_TICK, seal } from "./envelope";
import {
  type BackplaneDownEvent,
  type BackplaneUpEvent,
  createRedisAdapter,
  type RedisAdapter,
  type RedisAdapterMode,
} from "./index";
import { startRedis, type TestRedis, type TestRedisOptions } from "./testing";

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

/** The shared `until`, with the longer timeout that Redis restarts want here. */
const until = (predicate: () => boolean, timeout = 15_000, what = "condition"): Promise<void> =>
  waitUntil(predicate, { timeout, what });

async function redisServer(options: TestRedisOptions = {}): Promise<TestRedis> {
  const redis = await startRedis(options);
  cleanups.push(() => redis.stop());
  return redis;
}

interface Side {
  adapter: RedisAdapter;
  membership: BackplaneMembership;
  /** Payloads received, as numbers, in order. */
  got: number[];
  downs: BackplaneDownEvent[];
  ups: BackplaneUpEvent[];
}

function side(url: string, mode: RedisAdapterMode, extra: { maxLen?: number } = {}): Side {
  const adapter = createRedisAdapter({
    url,
    mode,
    tickInterval: 100,
    maxQueued: 100_000,
    ...extra,
  });
  cleanups.push(() => adapter.close());
  const s: Side = { adapter, got: [], downs: [], ups: [], membership: undefined as never };
  s.membership = adapter.join("c", (payload) =>
    s.got.push(Number.parseInt(Buffer.from(payload).toString(), 10)),
  );
  adapter.on("down", (e) => s.downs.push(e));
  adapter.on("up", (e) => s.ups.push(e));
  return s;
}

/** Publishes 1, 2, 3... (each followed by `pad` bytes) from `from`, a few every 2 ms, until stopped. */
function pump(from: Side, pad = 0): { stop(): void; readonly sent: number } {
  let sent = 0;
  const padding = ":".padEnd(pad + 1, "x");
  const timer = setInterval(() => {
    for (let k = 0; k < 3; k++) from.membership.publish(Buffer.from(`${++sent}${padding}`));
  }, 2);
  cleanups.push(() => clearInterval(timer));
  return {
    stop: () => clearInterval(timer),
    get sent() {
      return sent;
    },
  };
}

/** Waits until the publisher has nothing waiting and the receiver has accounted for every numbered message. */
async function settle(a: Side, b: Side): Promise<void> {
  await until(
    () => a.adapter.stats().queued === 0 && a.adapter.stats().inFlight === 0,
    15_000,
    "publisher drained",
  );
  const accounted = () => b.adapter.stats().received + b.adapter.stats().lost;
  await until(() => accounted() >= a.adapter.stats().published, 15_000, "receiver accounted");
}

/** Received in order, each once. */
function inOrderOnce(got: number[]): boolean {
  return got.every((n, i) => i === 0 || n > (got[i - 1] as number));
}

/** One of the adapter's ioredis connections, by role. */
function connectionOf(adapter: RedisAdapter, role: string): Redis {
  const transport = (adapter as unknown as { transport: { connections: Array<[string, Redis]> } })
    .transport;
  const conn = transport.connections.find(([r]) => r === role)?.[1];
  if (!conn) throw new Error(`no ${role} connection`);
  return conn;
}

/** The socket under an ioredis connection of the adapter (to stall it from the test). */
function socketOf(adapter: RedisAdapter, role: string): NodeJS.ReadableStream {
  return (connectionOf(adapter, role) as unknown as { stream: NodeJS.ReadableStream }).stream;
}

describe.each(["pubsub", "sharded", "streams"] as const)(
  "%s: Redis killed and restarted mid-stream",
  (mode) => {
    it("every message that never arrived is counted in lost, exactly; nothing is delivered twice", async () => {
      const redis = await redisServer();
      const a = side(redis.url, mode);
      const b = side(redis.url, mode);
      await Promise.all([a.adapter.ready(), b.adapter.ready()]);
      const p = pump(a);
      await until(() => b.got.length > 300, 15_000, "traffic");
      await redis.stop();
      await until(() => b.downs.length > 0 && a.downs.length > 0, 15_000, "down noticed");
      // Redis stays down while 60 more are published (a condition, not a sleep).
      const sentAtDown = p.sent;
      await until(() => p.sent >= sentAtDown + 60, 15_000, "publishing while Redis is down");
      const sentBeforeRestart = p.sent;
      await redis.restart();
      await until(() => (b.got.at(-1) ?? 0) > sentBeforeRestart + 300, 15_000, "traffic again");
      p.stop();
      await settle(a, b);
      const sa = a.adapter.stats();
      const sb = b.adapter.stats();
      expect(sa.dropped).toBe(0);
      expect(sa.refused).toBe(0);
      expect(sb.received).toBe(b.got.length);
      expect(inOrderOnce(b.got)).toBe(true);
      // Exactly what never arrived is counted (Redis without persistence loses what it held).
      expect(sb.lost).toBe(sa.published - b.got.length);
      expect(b.ups).toHaveLength(1);
      expect(sb.reconnects).toBe(1);
    }, 60_000);
  },
);

describe("streams with persistence: Redis killed and restarted mid-stream", () => {
  it("nothing is lost: each instance resumes from the last id it read", async () => {
    const redis = await redisServer({ persistence: true });
    const a = side(redis.url, "streams");
    const b = side(redis.url, "streams");
    await Promise.all([a.adapter.ready(), b.adapter.ready()]);
    const p = pump(a);
    for (let round = 0; round < 2; round++) {
      const before = b.got.length;
      await until(() => b.got.length > before + 300, 15_000, "traffic");
      await redis.stop();
      await until(() => b.downs.length > round, 15_000, "down noticed");
      const sentAtDown = p.sent;
      await until(() => p.sent >= sentAtDown + 60, 15_000, "publishing while Redis is down");
      await redis.restart();
      await until(() => b.ups.length > round, 15_000, "back");
    }
    const last = p.sent;
    await until(() => (b.got.at(-1) ?? 0) > last, 15_000, "traffic after the restarts");
    p.stop();
    await settle(a, b);
    const sa = a.adapter.stats();
    const sb = b.adapter.stats();
    expect(sb.lost).toBe(0);
    expect(sa.dropped).toBe(0);
    expect(b.got).toEqual(Array.from({ length: p.sent }, (_, i) => i + 1));
    expect(sb.received).toBe(p.sent);
  }, 60_000);
});

describe("an instance Redis cuts off at its pub/sub output-buffer limit", () => {
  it("notices at once, comes back, and counts exactly what it missed", async () => {
    const redis = await redisServer({ args: ["--client-output-buffer-limit", "pubsub 65536 0 0"] });
    const a = side(redis.url, "pubsub");
    const b = side(redis.url, "pubsub");
    await Promise.all([a.adapter.ready(), b.adapter.ready()]);
    const p = pump(a, 16_384); // MB/s: the socket buffers (tens of MB on loopback) fill in seconds
    await until(() => b.got.length > 100, 15_000, "traffic");
    // b stalls (as a long GC pause would): Redis buffers for it, then cuts it off.
    const subscribed = connectionOf(b.adapter, "subscribed");
    const id = Number(await subscribed.client("ID"));
    const stream = (subscribed as unknown as { stream: NodeJS.ReadableStream }).stream;
    stream.pause();
    const admin = new Redis(redis.url);
    cleanups.push(() => admin.disconnect());
    // Cut off: its subscribed connection is gone from Redis (b, paused, has not seen it yet).
    const cutOff = async (): Promise<boolean> =>
      !String(await admin.client("LIST")).includes(`id=${id} `);
    await waitUntil(cutOff, { timeout: 15_000, interval: 20, what: "the cut-off" });
    stream.resume();
    await until(() => b.downs.length === 1, 15_000, "down noticed");
    expect(b.downs[0]).toMatchObject({ connection: "subscribed" });
    await until(() => b.ups.length === 1, 15_000, "back");
    const resumedAt = p.sent;
    await until(() => (b.got.at(-1) ?? 0) > resumedAt + 100, 15_000, "traffic again");
    p.stop();
    await settle(a, b);
    const sb = b.adapter.stats();
    expect(sb.lost).toBeGreaterThan(0);
    expect(sb.lost).toBe(a.adapter.stats().published - b.got.length);
    expect(inOrderOnce(b.got)).toBe(true);
    expect(a.downs).toHaveLength(0); // the publisher was never cut off
  }, 60_000);
});

describe("streams: an instance that falls behind the stream's cap", () => {
  it("reads on from the oldest entry kept and counts what was trimmed, exactly", async () => {
    const redis = await redisServer();
    const a = side(redis.url, "streams", { maxLen: 100 });
    const b = side(redis.url, "streams", { maxLen: 100 });
    await Promise.all([a.adapter.ready(), b.adapter.ready()]);
    const stream = socketOf(b.adapter, "reading");
    stream.pause(); // b stops reading for a while
    for (let n = 1; n <= 3000; n++) a.membership.publish(Buffer.from(String(n)));
    await until(() => a.adapter.stats().published === 3000, 15_000, "published");
    stream.resume();
    await settle(a, b);
    const sb = b.adapter.stats();
    expect(sb.lost).toBeGreaterThan(2000); // most were trimmed away
    expect(sb.lost + b.got.length).toBe(3000);
    expect(b.got.at(-1)).toBe(3000);
    expect(inOrderOnce(b.got)).toBe(true);
    expect(b.downs).toHaveLength(0); // never disconnected: only late
  }, 60_000);
});

describe("accounting details", () => {
  it("a copy is delivered once, a gap and a tick count what is missing, a stranger's bytes are refused", async () => {
    const redis = await redisServer();
    const errors: string[] = [];
    const b = createRedisAdapter({ url: redis.url, onError: (e) => errors.push(e.code) });
    cleanups.push(() => b.close());
    const got: string[] = [];
    b.join("c", (p, origin) => got.push(`${origin}:${Buffer.from(p).toString()}`));
    await b.ready();
    const raw = new Redis(redis.url);
    cleanups.push(() => raw.disconnect());
    const id = Buffer.from("other");
    const send = (kind: number, run: number, seq: number, text = "") =>
      raw.publish("taurus:c", seal(id, kind, run, seq, Buffer.from(text)));
    await send(KIND_MESSAGE, 7, 1, "one");
    await send(KIND_MESSAGE, 7, 1, "one again"); // a publish sent twice
    await send(KIND_MESSAGE, 7, 4, "four"); // 2 and 3 never came
    await send(KIND_TICK, 7, 6); // 5 and 6 never came either
    await send(KIND_MESSAGE, 9, 1, "new run"); // the publisher restarted
    await raw.publish("taurus:c", Buffer.from([0]));
    await until(() => errors.length === 1 && got.length === 3);
    expect(got).toEqual(["other:one", "other:four", "other:new run"]);
    expect(b.stats()).toMatchObject({ received: 3, lost: 4, duplicates: 1 });
    expect(errors).toEqual(["MALFORMED_BODY"]);
  });

  it("sharded mode publishes with SPUBLISH; streams mode appends to a capped stream", async () => {
    const redis = await redisServer();
    const sharded = side(redis.url, "sharded");
    const streams = side(redis.url, "streams", { maxLen: 100 });
    await Promise.all([sharded.adapter.ready(), streams.adapter.ready()]);
    for (let n = 1; n <= 1000; n++) {
      sharded.membership.publish(Buffer.from(String(n)));
      streams.membership.publish(Buffer.from(String(n)));
    }
    await until(
      () =>
        sharded.adapter.stats().published === 1000 && streams.adapter.stats().published === 1000,
    );
    const admin = new Redis(redis.url);
    cleanups.push(() => admin.disconnect());
    const stats = await admin.info("commandstats");
    expect(Number(/cmdstat_spublish:calls=(\d+)/.exec(stats)?.[1])).toBeGreaterThanOrEqual(1000);
    expect(/cmdstat_publish:/.test(stats)).toBe(false);
    const length = await admin.xlen("taurus:c");
    expect(length).toBeGreaterThanOrEqual(100);
    expect(length).toBeLessThan(1000); // trimmed (MAXLEN ~ trims whole nodes)
  });

  it("a connection killed by Redis (CLIENT KILL) is noticed at once and comes back", async () => {
    const redis = await redisServer();
    const b = side(redis.url, "pubsub");
    await b.adapter.ready();
    const admin = new Redis(redis.url);
    cleanups.push(() => admin.disconnect());
    await admin.call("CLIENT", "KILL", "TYPE", "pubsub");
    await until(() => b.downs.length === 1 && b.ups.length === 1);
    expect(b.downs[0]).toEqual({ connection: "subscribed", reason: "connection closed" });
    expect(b.ups[0]).toMatchObject({ dropped: 0 });
    expect(b.adapter.stats()).toMatchObject({ connected: true, reconnects: 1 });
  });
});
