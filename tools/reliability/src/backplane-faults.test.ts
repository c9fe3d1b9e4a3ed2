// Two chat-server instances joined by a real redis-server, a client sending numbered
// messages to one and a client reading them on the other, while Redis is killed and
// restarted, stays down, or one instance is frozen past Redis's output-buffer limit.
// Durable mode (streams, Redis with an fsynced append-only file) loses nothing; pub/sub
// loses what Redis could not carry, and every such message is counted: what the reading
// client misses equals the publisher's `dropped` plus the reader's `lost`, exactly.
import { startRedis, type TestRedis, type TestRedisOptions } from "@taurus/adapter-redis/testing";
import { describe, expect, it } from "vitest";
import {
  type ChatClient,
  type ChatProcess,
  chatClient,
  inOrderOnce,
  logged,
  metrics,
  numbers,
  sender,
  startChat,
} from "./chat-process";
import { onCleanup, record, STRESS, scale, sleep, until } from "./harness";

type Mode = "pubsub" | "streams";

async function redisServer(options: TestRedisOptions): Promise<TestRedis> {
  const redis = await startRedis(options);
  onCleanup(() => redis.stop());
  return redis;
}

/** The backplane counts before the load: the two joins' notices. */
interface Base {
  published: number;
  received: number;
}

/**
 * Two instances on one Redis, a reader on b and a writer on a; resolves once the writer's
 * join notice has crossed (the base the accounting starts from).
 */
async function pair(redis: TestRedis, mode: Mode, extra: string[] = []) {
  const args = ["--redis", redis.url, "--redis-mode", mode, ...extra];
  const [a, b] = await Promise.all([startChat(args), startChat(args)]);
  const reader = await chatClient(b.json);
  const writer = await chatClient(a.json);
  await until(() => reader.notices.length >= 2, 10_000, "both joins announced to the reader");
  const [ma, mb] = await Promise.all([metrics(a.metrics), metrics(b.metrics)]);
  const base: Base = {
    published: ma.taurus_backplane_published_total ?? 0,
    received: mb.taurus_backplane_received_total ?? 0,
  };
  return { a, b, reader, writer, base };
}

/**
 * Waits until everything the writer sent is accounted for (delivered to the reader, or
 * counted as dropped by a, or as lost by b), then returns the figures.
 */
async function account(
  a: ChatProcess,
  b: ChatProcess,
  reader: ChatClient,
  sent: number,
  base: Base,
) {
  let ma: Record<string, number> = {};
  let mb: Record<string, number> = {};
  const deadline = Date.now() + 30_000;
  for (;;) {
    [ma, mb] = await Promise.all([metrics(a.metrics), metrics(b.metrics)]);
    const published = (ma.taurus_backplane_published_total ?? 0) - base.published;
    const dropped = ma.taurus_backplane_dropped_total ?? 0;
    const received = (mb.taurus_backplane_received_total ?? 0) - base.received;
    const lost = mb.taurus_backplane_lost_total ?? 0;
    const settled =
      (ma.taurus_backplane_queued ?? 0) === 0 &&
      published + dropped >= sent &&
      received + lost >= published &&
      reader.inbox.length >= received;
    if (settled) break;
    if (Date.now() > deadline) throw new Error(`not settled: ${JSON.stringify({ sent, ma, mb })}`);
    await sleep(200);
  }
  const got = numbers(reader);
  return {
    sent,
    got: got.length,
    missed: sent - got.length,
    inOrderOnce: inOrderOnce(got),
    dropped: ma.taurus_backplane_dropped_total ?? 0,
    lost: mb.taurus_backplane_lost_total ?? 0,
    duplicates: mb.taurus_backplane_duplicates_total ?? 0,
    published: (ma.taurus_backplane_published_total ?? 0) - base.published,
  };
}

/** The first ms after `since` when the reader got a number above `after`. */
async function resumed(reader: ChatClient, after: number, since: number): Promise<number> {
  await until(() => (numbers(reader).at(-1) ?? 0) > after, 30_000, "traffic after the fault");
  return Date.now() - since;
}

function outageSuite(mode: Mode): void {
  const durable = mode === "streams";
  it(`${mode}: Redis killed (SIGKILL) and restarted mid-stream: ${durable ? "nothing lost" : "every loss counted"}`, async () => {
    const redis = await redisServer({ persistence: durable });
    const { a, b, reader, writer, base } = await pair(redis, mode);
    const load = sender(writer, 2);
    const kills = scale(1, 5);
    const recoveries: number[] = [];
    for (let k = 0; k < kills; k++) {
      const before = reader.inbox.length;
      await until(() => reader.inbox.length > before + 200, 15_000, "traffic");
      await redis.stop();
      await sleep(50 + 50 * (k % 3));
      const sentAtRestart = load.sent;
      await redis.restart();
      recoveries.push(await resumed(reader, sentAtRestart, Date.now()));
    }
    load.stop();
    const figures = await account(a, b, reader, load.sent, base);
    for (const s of [a, b]) {
      await logged(s, "backplane down");
      await logged(s, "backplane back");
    }
    if (figures.lost > 0) await logged(b, "backplane losses", 10_000);
    record(`redis-kill-${mode}`, {
      group: "Scale-out",
      title: `${mode}: Redis killed (SIGKILL) and restarted mid-stream, two instances`,
      load: "a client sending a message every 2 ms to one instance, a client reading on the other",
      faults: `${kills} SIGKILLs of redis-server, restarted after 50-150 ms${durable ? " (append-only file, fsync always)" : " (no persistence)"}`,
      badInputs: "none",
      lost: figures.missed - figures.dropped - figures.lost,
      lostUnit: "messages lost without being counted",
      observed: { ...figures, recoveryMs: recoveries },
    });
    expect(figures.inOrderOnce).toBe(true);
    expect(figures.missed).toBe(figures.dropped + figures.lost);
    if (durable) expect(figures.missed).toBe(0);
    expect(await a.stop()).toBe(0);
    expect(await b.stop()).toBe(0);
  }, 120_000);

  it(`${mode}: Redis down for ${STRESS ? 30 : 2} s: ${durable ? "nothing lost past what the publisher's queue could hold" : "every loss counted"}; back within a fraction of a second`, async () => {
    const redis = await redisServer({ persistence: durable });
    const { a, b, reader, writer, base } = await pair(redis, mode);
    const load = sender(writer, 2);
    await until(() => reader.inbox.length > 200, 15_000, "traffic");
    const downFor = scale(2_000, 30_000);
    await redis.stop();
    await sleep(downFor);
    const sentAtRestart = load.sent;
    const restartedAt = Date.now();
    await redis.restart();
    const recoveryMs = await resumed(reader, sentAtRestart, restartedAt);
    const back = await logged(b, "backplane back");
    await sleep(500);
    load.stop();
    const figures = await account(a, b, reader, load.sent, base);
    record(`redis-down-${mode}`, {
      group: "Scale-out",
      title: `${mode}: Redis down for ${downFor / 1000} s, two instances`,
      load: "a client sending a message every 2 ms to one instance, a client reading on the other",
      faults: `redis-server SIGKILLed, restarted ${downFor / 1000} s later`,
      badInputs: "none",
      lost: figures.missed - figures.dropped - figures.lost,
      lostUnit: "messages lost without being counted",
      observed: { ...figures, recoveryMs, downtimeLoggedMs: back.downtimeMs },
    });
    expect(figures.inOrderOnce).toBe(true);
    expect(figures.missed).toBe(figures.dropped + figures.lost);
    // Streams: whatever the publisher queued (1,000 by default) arrives; only the overflow
    // was dropped, and counted.
    if (durable) expect(figures.lost).toBe(0);
    const [codeA, codeB] = [await a.stop(), await b.stop()];
    const crash = [...a.logs, ...b.logs].filter((l) => l.level === "stderr").map((l) => l.line);
    expect({ codeA, codeB, crash }).toEqual({ codeA: 0, codeB: 0, crash: [] });
  }, 180_000);

  it(`${mode}: an instance frozen (SIGSTOP) past Redis's output-buffer limit: ${durable ? "nothing lost" : "cut off, noticed at once, every loss counted"}`, async () => {
    const redis = await redisServer({
      persistence: durable,
      args: ["--client-output-buffer-limit", "pubsub 1mb 0 0"],
    });
    const { a, b, reader, writer, base } = await pair(redis, mode);
    // 500 (stress: 200) messages of 16 KiB per second: far past the socket buffers.
    const every = scale(2, 5);
    const load = sender(writer, every, 16_384);
    await until(() => reader.inbox.length > 100, 15_000, "traffic");
    const pid = b.proc.pid as number;
    const frozenFor = scale(3_000, 25_000);
    process.kill(pid, "SIGSTOP");
    await sleep(frozenFor);
    const sentAtThaw = load.sent;
    process.kill(pid, "SIGCONT");
    await resumed(reader, sentAtThaw, Date.now());
    load.stop();
    const figures = await account(a, b, reader, load.sent, base);
    const cutOff = b.logs.find((l) => l.msg === "backplane down");
    record(`instance-stalled-${mode}`, {
      group: "Scale-out",
      title: `${mode}: an instance frozen for ${frozenFor / 1000} s (SIGSTOP), Redis pub/sub output-buffer limit 1 MB`,
      load: `a client sending ${1000 / every} messages of 16 KiB per second to one instance, a client reading on the frozen one`,
      faults: `SIGSTOP of the reading instance for ${frozenFor / 1000} s`,
      badInputs: "none",
      lost: figures.missed - figures.dropped - figures.lost,
      lostUnit: "messages lost without being counted",
      observed: { ...figures, cutOff: cutOff ?? null },
    });
    expect(figures.inOrderOnce).toBe(true);
    expect(figures.missed).toBe(figures.dropped + figures.lost);
    if (durable) {
      expect(figures.missed).toBe(0);
    } else {
      // Redis cut it off: it said so as soon as it ran again, and counted the loss.
      expect(cutOff).toMatchObject({ connection: "subscribed" });
      expect(figures.lost).toBeGreaterThan(0);
    }
    expect(await a.stop()).toBe(0);
    expect(await b.stop()).toBe(0);
  }, 180_000);
}

describe("Redis backplane faults", () => {
  outageSuite("streams");
  outageSuite("pubsub");
});
