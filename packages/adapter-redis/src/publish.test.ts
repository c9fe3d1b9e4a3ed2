// Publishing on a channel without joining it: the members elsewhere get it, and the
// publisher subscribes to nothing (a server sending to a room it has no member in).
import { until } from "@taurus/core-conn/testing";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRedisAdapter, type RedisAdapterMode } from "./index";
import { startRedis, type TestRedis } from "./testing";

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis.stop();
});

describe.each<RedisAdapterMode>(["pubsub", "streams"])("%s: publish without joining", (mode) => {
  it("reaches the channel's members on the other instance and subscribes the publisher to nothing", async () => {
    const a = createRedisAdapter({ url: redis.url, mode });
    const b = createRedisAdapter({ url: redis.url, mode });
    const admin = new Redis(redis.url);
    try {
      const got: string[] = [];
      b.join("taurus#@bob", (payload) => void got.push(Buffer.from(payload).toString()));
      await Promise.all([a.ready(), b.ready()]);
      // A message may go out before b reads: publish until one arrives, then one more.
      for (let n = 0; got.length === 0 && n < 50; n++) {
        a.publish(`taurus#@bob`, Buffer.from(`probe ${n}`));
        await until(() => got.length > 0, { timeout: 200 }).catch(() => undefined);
      }
      a.publish("taurus#@bob", Buffer.from("psst"));
      await until(() => got.includes("psst"), { timeout: 10_000 });
      if (mode === "pubsub") {
        const [, count] = (await admin.call("PUBSUB", "NUMSUB", "taurus:taurus#@bob")) as [
          string,
          number,
        ];
        expect(count).toBe(1); // b only
      }
      expect(a.stats().published).toBeGreaterThanOrEqual(2);
      expect(b.stats().lost ?? 0).toBe(0);
      await a.close();
      a.publish("taurus#@bob", Buffer.from("after close")); // ignored, no throw
    } finally {
      admin.disconnect();
      await a.close();
      await b.close();
    }
  });
});
