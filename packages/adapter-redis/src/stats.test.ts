// Real Redis (a redis-server of the test's own) on 127.0.0.1.
import { until } from "@taurus/core-conn/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRedisAdapter } from "./index";
import { startRedis, type TestRedis } from "./testing";

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis.stop();
});

describe("RedisAdapter.stats() in the shared vocabulary", () => {
  it("counts messagesIn/Out and bytesIn/Out beside the old names; connected is false once closed", async () => {
    const a = createRedisAdapter({ url: redis.url });
    const b = createRedisAdapter({ url: redis.url });
    try {
      const got: string[] = [];
      const from = a.join("room", () => {});
      b.join("room", (p) => void got.push(Buffer.from(p).toString()));
      await Promise.all([a.ready(), b.ready()]);
      // b's subscription may not be live for the first ones: publish until one arrives.
      for (let n = 0; got.length === 0 && n < 50; n++) {
        from.publish(Buffer.from("hello"));
        await until(() => got.length > 0, { timeout: 200 }).catch(() => undefined);
      }
      await until(() => a.stats().queued === 0 && a.stats().inFlight === 0);
      const sa = a.stats();
      const sb = b.stats();
      expect(sa.messagesOut).toBe(sa.published);
      expect(sa.messagesOut).toBeGreaterThan(0);
      expect(sa.bytesOut).toBe(5 * sa.messagesOut);
      await until(() => b.stats().messagesIn === got.length);
      expect(b.stats().messagesIn).toBe(b.stats().received);
      expect(b.stats().bytesIn).toBe(5 * got.length);
      expect(sb.errorsByCode).toEqual({});
      expect(sa.connected).toBe(true);
    } finally {
      await a.close();
      await b.close();
    }
    expect(a.stats().connected).toBe(false);
    expect(b.stats().connected).toBe(false);
  });

  it("counts errors reported to onError by code, and still reports them", async () => {
    const seen: string[] = [];
    const adapter = createRedisAdapter({
      url: "redis://127.0.0.1:1",
      maxRetryDelay: 50,
      onError: (e) => seen.push(e.code),
    });
    try {
      adapter.join("room", () => {});
      await until(() => (adapter.stats().errorsByCode.SOCKET ?? 0) > 0, { timeout: 10_000 });
      expect(seen).toContain("SOCKET");
      expect(adapter.stats().connected).toBe(false);
    } finally {
      await adapter.close();
    }
  });
});
