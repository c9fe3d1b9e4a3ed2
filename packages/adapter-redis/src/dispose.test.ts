// Real Redis (a redis-server of the test's own) on 127.0.0.1.
import { until } from "@taurus/core-conn/testing";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRedisAdapter, type RedisAdapter } from "./index";
import { startRedis, type TestRedis } from "./testing";

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis.stop();
});

describe("RedisAdapter disposal", () => {
  it("await using closes it: its Redis connections close, and it refuses to join afterwards", async () => {
    const admin = new Redis(redis.url);
    /** Clients connected to Redis, the admin connection excepted. */
    const clients = async (): Promise<number> =>
      String(await admin.client("LIST"))
        .trim()
        .split("\n").length - 1;
    let adapter: RedisAdapter | undefined;
    {
      await using scoped = createRedisAdapter({ url: redis.url });
      adapter = scoped;
      scoped.join("room", () => {});
      await scoped.ready();
      expect(scoped.stats().connected).toBe(true);
      expect(await clients()).toBeGreaterThan(0);
    }
    await until(async () => (await clients()) === 0, { timeout: 10_000, what: "no client" });
    await admin.quit();
    expect(() => adapter?.join("room", () => {})).toThrow(
      expect.objectContaining({ code: "CONNECTION_CLOSED" }),
    );
  });
});
