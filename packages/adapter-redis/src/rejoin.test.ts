// A room left and joined again: what was published meanwhile is not counted as lost.
import { until as waitUntil } from "@taurus/core-conn/testing";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRedisAdapter, type RedisAdapter, type RedisAdapterMode } from "./index";
import { startRedis, type TestRedis } from "./testing";

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis.stop();
});

/** The shared `until` of `@taurus/core-conn/testing`, with this file's default timeout. */
const until = (predicate: () => boolean, timeout = 10_000): Promise<void> =>
  waitUntil(predicate, { timeout });

describe.each<RedisAdapterMode>(["pubsub", "sharded"])("%s: rejoining a channel", (mode) => {
  it("counts nothing lost for what was published while this instance had no member", async () => {
    const adapters: RedisAdapter[] = [];
    const make = async () => {
      const adapter = createRedisAdapter({ url: redis.url, mode, maxRetryDelay: 100 });
      adapters.push(adapter);
      await adapter.ready();
      return adapter;
    };
    try {
      const [a, b] = [await make(), await make()];
      const publisher = a.join("taurus#lobby", () => undefined);
      const got: string[] = [];
      const listen = () =>
        b.join("taurus#lobby", (payload) => void got.push(Buffer.from(payload).toString()));
      /**
       * Publishes a probe, waits for it, and publishes another when it does not come (it
       * went out before b's subscription was live): b's subscription is live, and no probe
       * is left on its way to arrive after the next leave.
       */
      const probe = async (tag: string) => {
        for (let n = 0; ; n++) {
          publisher.publish(Buffer.from(`${tag}-${n}`));
          try {
            await until(() => got.some((g) => g.startsWith(`${tag}-`)), 500);
            return;
          } catch (err) {
            if (n >= 20) throw err;
          }
        }
      };
      // b stays in a second channel: a message there, once it arrives, shows that b has
      // read everything Redis sent it before (one subscriber connection, in order).
      const control = a.join("taurus#control", () => undefined);
      const synced: string[] = [];
      b.join("taurus#control", (payload) => void synced.push(Buffer.from(payload).toString()));
      const admin = new Redis(redis.url);
      /** Subscribers of the room in Redis (the adapter prefixes channels with "taurus:"). */
      const subscribers = async (): Promise<number> => {
        const count = mode === "sharded" ? "SHARDNUMSUB" : "NUMSUB";
        const reply = (await admin.call("PUBSUB", count, "taurus:taurus#lobby")) as [
          string,
          number,
        ];
        return Number(reply[1]);
      };
      /** Publishes on the control channel until b gets it (as `probe` does). */
      const sync = async () => {
        for (let n = 0; ; n++) {
          control.publish(Buffer.from(`sync-${n}`));
          try {
            await until(() => synced.includes(`sync-${n}`), 500);
            return;
          } catch (err) {
            if (n >= 20) throw err;
          }
        }
      };
      let member = listen();
      await probe("first");
      member.leave();
      // Away for real: Redis has taken b out of the room, and b has read all it sent before.
      await waitUntil(async () => (await subscribers()) === 1, {
        timeout: 10_000,
        interval: 10,
        what: "b out of the room",
      });
      await sync();
      await admin.quit();
      const before = a.stats().published;
      for (let i = 0; i < 20; i++) publisher.publish(Buffer.from(`while away ${i}`));
      // Published (acknowledged by Redis) before b listens again.
      await until(() => a.stats().published === before + 20);
      member = listen();
      await probe("again");
      publisher.publish(Buffer.from("last"));
      await until(() => got.includes("last"));
      expect(got.some((g) => g.startsWith("while away"))).toBe(false);
      expect(b.stats().lost).toBe(0);
      expect(b.stats().duplicates).toBe(0);
      member.leave();
    } finally {
      for (const adapter of adapters) await adapter.close();
    }
  }, 30_000);
});
