// Real Redis (a redis-server of the test's own), real servers and sockets on 127.0.0.1.
import net from "node:net";
import { Connection, type TaurusError } from "@taurus/core-conn";
import { until as waitUntil } from "@taurus/core-conn/testing";
import { type BinaryMessage, createBinaryProtocol } from "@taurus/protocol-binary";
import { type BackplaneCodec, createServer, type TaurusServer } from "@taurus/server";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createRedisAdapter, type RedisAdapter, type RedisAdapterMode } from "./index";
import { startRedis, type TestRedis } from "./testing";

const binary = createBinaryProtocol();
const PROBE = 99;
/** Neutral form: the binary frame's fields as JSON. */
const codec: BackplaneCodec<BinaryMessage> = {
  encode: (m) =>
    Buffer.from(JSON.stringify([m.type, m.sequence, Buffer.from(m.data).toString("base64")])),
  decode: (p) => {
    const [type, sequence, data] = JSON.parse(Buffer.from(p).toString()) as [
      number,
      number,
      string,
    ];
    return { version: 1, type, sequence, data: Buffer.from(data, "base64") };
  },
};

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis.stop();
});
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
  // A test that stopped Redis leaves it running for the next one.
  await redis.stop();
  await redis.restart();
});

/** The shared `until`, with the longer timeout that Redis round trips want here. */
const until = (predicate: () => boolean): Promise<void> =>
  waitUntil(predicate, { timeout: 10_000 });

interface Instance {
  server: TaurusServer<BinaryMessage>;
  adapter: RedisAdapter;
  port: number;
  errors: TaurusError[];
  stop(): Promise<void>;
}

/** One server instance: its own adapter (own Redis connections); clients' messages are broadcast. */
async function instance(
  options: { maxQueued?: number; mode?: RedisAdapterMode } = {},
): Promise<Instance> {
  const errors: TaurusError[] = [];
  const adapter = createRedisAdapter({
    url: redis.url,
    maxRetryDelay: 100,
    onError: (e) => errors.push(e),
    ...options,
  });
  const server = createServer({
    protocol: binary,
    rateLimit: Number.POSITIVE_INFINITY,
    shutdownTimeout: 1000,
    backplane: { adapter, codec, channel: "room" },
    handler: { onMessage: (m) => void server.broadcast(m) },
  });
  const { port } = await server.listen(0, "127.0.0.1");
  await adapter.ready();
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await server.close();
    await adapter.close();
  };
  cleanups.push(stop);
  return { server, adapter, port, errors, stop };
}

interface Client {
  conn: Connection<BinaryMessage>;
  inbox: BinaryMessage[];
}

async function client(port: number): Promise<Client> {
  const socket = net.connect({ host: "127.0.0.1", port, allowHalfOpen: true });
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  const conn = new Connection(socket, binary);
  cleanups.push(() => conn.destroy());
  const inbox: BinaryMessage[] = [];
  conn.on("message", (m) => inbox.push(m));
  return { conn, inbox };
}

const text = (m: BinaryMessage): string => Buffer.from(m.data).toString();

/** Every client sends `perClient` messages tagged `tag`; every client must see each exactly once. */
async function exchange(clients: Client[], tag: string, perClient = 5): Promise<void> {
  const sent: string[] = [];
  clients.forEach((c, i) => {
    for (let k = 0; k < perClient; k++) {
      const body = `${tag}-${i}-${k}`;
      sent.push(body);
      c.conn.send({ version: 1, type: 1, sequence: k + 1, data: Buffer.from(body) });
    }
  });
  const mine = (c: Client) => c.inbox.filter((m) => m.type === 1 && text(m).startsWith(`${tag}-`));
  await until(() => clients.every((c) => mine(c).length >= sent.length));
  // Sentinels, not a sleep: each client's last word, sent after its messages, reaches every
  // client; a duplicate of anything sent before it would have arrived by then.
  const ends = clients.map((_, i) => `${tag}.end-${i}`);
  clients.forEach((c, i) => {
    c.conn.send({ version: 1, type: 1, sequence: perClient + 1, data: Buffer.from(ends[i]!) });
  });
  await until(() => clients.every((c) => ends.every((e) => c.inbox.some((m) => text(m) === e))));
  for (const c of clients) expect(mine(c).map(text).sort()).toEqual([...sent].sort());
}

/** Waits until a probe from each live instance reaches every client (subscriptions are back). */
async function probe(instances: Instance[], clients: Client[]): Promise<void> {
  for (let round = 0; ; round++) {
    const since = clients.map((c) => c.inbox.length);
    instances.forEach((inst, i) => {
      inst.server.broadcast({ version: 1, type: PROBE, sequence: i, data: Buffer.alloc(0) });
    });
    const ok = (): boolean =>
      clients.every((c, ci) => {
        const got = new Set(
          c.inbox
            .slice(since[ci])
            .filter((m) => m.type === PROBE)
            .map((m) => m.sequence),
        );
        return instances.every((_, i) => got.has(i));
      });
    // A probe sent before a subscription was live never comes: send another round.
    try {
      await waitUntil(ok, { timeout: 500, what: "a probe from each instance" });
      return;
    } catch (err) {
      if (round >= 30) throw new Error(`instances did not recover: ${String(err)}`);
    }
  }
}

describe.each(["pubsub", "sharded", "streams"] as const)("RedisAdapter, %s mode", (mode) => {
  it("joins two instances: every client sees every message exactly once, and counts it", async () => {
    const a = await instance({ mode });
    const b = await instance({ mode });
    const clients = [await client(a.port), await client(b.port), await client(b.port)];
    await until(() => a.server.connectionCount === 1 && b.server.connectionCount === 2);
    await exchange(clients, "two");
    // a published its client's 5 and received b's 10; b the other way round (each client
    // also sent one sentinel).
    await until(
      () => a.adapter.stats().published === 5 + 1 && b.adapter.stats().published === 10 + 2,
    );
    expect(a.adapter.stats()).toMatchObject({ received: 10 + 2, dropped: 0, connected: true });
    expect(b.adapter.stats()).toMatchObject({ received: 5 + 1, dropped: 0, queued: 0 });
  }, 30_000);

  it("three instances: one stops, the rest keep serving; Redis restarts, they recover", async () => {
    const instances = [
      await instance({ mode }),
      await instance({ mode }),
      await instance({ mode }),
    ];
    const clients: Client[] = [];
    for (let i = 0; i < 6; i++) clients.push(await client(instances[i % 3]!.port));
    await until(() => instances.every((s) => s.server.connectionCount === 2));
    await exchange(clients, "three");

    // One instance goes away: its clients with it.
    await instances[2]!.stop();
    const live = instances.slice(0, 2);
    const liveClients = clients.filter((_, i) => i % 3 !== 2);
    await exchange(liveClients, "killed");

    // Redis goes away: each instance still serves its own clients...
    await redis.stop();
    await until(() => live.every((s) => !s.adapter.stats().connected));
    live[0]!.server.broadcast({ version: 1, type: 2, sequence: 1, data: Buffer.from("local") });
    await until(() => liveClients[0]!.inbox.some((m) => m.type === 2));
    // ...and once Redis is back, all of them again, exactly once.
    await redis.restart();
    await until(() => live.every((s) => s.adapter.stats().connected));
    await probe(live, liveClients);
    await exchange(liveClients, "recovered");
    expect(live.every((s) => s.adapter.stats().reconnects >= 1)).toBe(true);
    expect(live.every((s) => s.errors.every((e) => e.code === "SOCKET"))).toBe(true);
  }, 60_000);
});

describe("RedisAdapter", () => {
  it("while Redis is away, queues up to maxQueued, drops and counts the rest, publishes the queue when back", async () => {
    const a = await instance({ maxQueued: 2 });
    await redis.stop();
    // `connected` turns false as soon as either connection notices; what queues is
    // the publishing one, so wait until that one has noticed too.
    const publisher = (a.adapter as unknown as { transport: { publisher: { status: string } } })
      .transport.publisher;
    await until(() => !a.adapter.stats().connected && publisher.status !== "ready");
    for (let i = 1; i <= 3; i++) {
      a.server.broadcast({ version: 1, type: 1, sequence: i, data: Buffer.from("q") });
    }
    expect(a.adapter.stats()).toMatchObject({ queued: 2, dropped: 1, published: 0 });
    await redis.restart();
    // Redis counts the PUBLISH commands it got since it restarted: the two queued ones.
    const admin = new Redis(redis.url, { lazyConnect: true });
    cleanups.push(() => admin.disconnect());
    await admin.connect();
    const publishes = async (): Promise<number> => {
      const info = await admin.info("commandstats");
      return Number(/cmdstat_publish:calls=(\d+)/.exec(info)?.[1] ?? 0);
    };
    await waitUntil(async () => (await publishes()) >= 2, { timeout: 10_000, interval: 20 });
    expect(await publishes()).toBe(2);
    await until(() => a.adapter.stats().published === 2);
    expect(a.adapter.stats()).toMatchObject({ queued: 0, dropped: 1 });
  }, 30_000);

  it("does not deliver its own messages back, and refuses to join once closed", async () => {
    const adapter = createRedisAdapter({ url: redis.url });
    cleanups.push(() => adapter.close());
    const got: string[] = [];
    const m = adapter.join("solo", (p) => got.push(Buffer.from(p).toString()));
    await adapter.ready();
    m.publish(Buffer.from("mine"));
    await until(() => adapter.stats().published === 1);
    // A sentinel, not a sleep: another instance's message, published after "mine" was
    // acknowledged, comes through the same subscription after it would have.
    const other = createRedisAdapter({ url: redis.url });
    cleanups.push(() => other.close());
    const sender = other.join("solo", () => {});
    await other.ready();
    sender.publish(Buffer.from("sentinel"));
    await until(() => got.length > 0);
    expect(got).toEqual(["sentinel"]);
    expect(adapter.stats().received).toBe(1);
    await adapter.close();
    expect(() => adapter.join("solo", () => {})).toThrow(
      expect.objectContaining({ code: "CONNECTION_CLOSED" }),
    );
  });

  it("ready() rejects with CONNECT_TIMEOUT when Redis cannot be reached", async () => {
    await redis.stop();
    const adapter = createRedisAdapter({ url: redis.url, maxRetryDelay: 50 });
    cleanups.push(() => adapter.close());
    await expect(adapter.ready(200)).rejects.toMatchObject({ code: "CONNECT_TIMEOUT" });
  });

  it("validates its options", () => {
    expect(() => createRedisAdapter({ maxQueued: -1 })).toThrow(
      expect.objectContaining({ code: "INVALID_OPTION" }),
    );
  });
});
