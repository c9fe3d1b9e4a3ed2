import { TaurusError } from "@taurus/core-conn";
import {
  type AdapterStats,
  type BackplaneListener,
  type BackplaneMembership,
  type BroadcastAdapter,
  ChannelMembers,
  createInstanceId,
} from "@taurus/server";
import { Redis } from "ioredis";
import { open, seal } from "./envelope";
import {
  type RedisAdapterOptions,
  type ResolvedRedisAdapterOptions,
  resolveRedisAdapterOptions,
} from "./options";

/** Default ms {@link RedisAdapter.ready} waits: 5000. */
export const DEFAULT_READY_TIMEOUT = 5000;

/** What a {@link RedisAdapter} counted, and where it stands. */
export interface RedisAdapterStats extends AdapterStats {
  /** Messages waiting for the publishing connection to come back. */
  queued: number;
  /** Both connections to Redis (publishing and subscribed) are up. */
  connected: boolean;
  /** Times the subscribed connection came back after it was lost. */
  reconnects: number;
}

interface Pending {
  channel: string;
  message: Buffer;
}

/**
 * A `BroadcastAdapter` (of `@taurus/server`) over Redis pub/sub: each channel is a Redis
 * channel (`prefix + name`), each message carries its publisher's instance
 * id, and an instance drops what it published itself when Redis echoes it
 * back, so every member on every instance gets each message exactly once
 * while Redis is reachable. It holds two connections (Redis wants a
 * connection of its own for subscribing), reconnects forever with backoff,
 * and resubscribes by itself. Create it with {@link createRedisAdapter}.
 *
 * While Redis is away: messages published here are queued, in order, up to
 * `maxQueued`, and published when the connection is back; past the bound they
 * are dropped and counted in `dropped`. Messages other instances publish
 * while this instance is not subscribed are lost (Redis pub/sub keeps
 * nothing), as are queued messages flushed before another instance has
 * resubscribed. The servers keep serving their own connections throughout.
 */
export class RedisAdapter implements BroadcastAdapter {
  /** This instance's id, stamped on every message it publishes. */
  readonly instanceId: string;
  private readonly options: ResolvedRedisAdapterOptions;
  private readonly id: Buffer;
  private readonly pub: Redis;
  private readonly sub: Redis;
  private readonly members: ChannelMembers;
  private readonly subscribing = new Set<Promise<unknown>>();
  private readonly redisChannels = new Map<string, Buffer>();
  private queue: Pending[] = [];
  private counts = { published: 0, received: 0, dropped: 0, reconnects: 0 };
  private subReadyOnce = false;
  private closed: Promise<void> | undefined;

  /** @internal use {@link createRedisAdapter} */
  constructor(options: RedisAdapterOptions = {}) {
    this.options = resolveRedisAdapterOptions(options);
    this.instanceId = this.options.instanceId ?? createInstanceId();
    this.id = Buffer.from(this.instanceId, "utf8");
    const maxDelay = this.options.maxRetryDelay;
    const common = {
      ...this.options.redis,
      lazyConnect: false,
      retryStrategy: (times: number) => Math.min(times * 50, maxDelay),
    };
    this.pub = new Redis(this.options.url, { ...common, enableOfflineQueue: false });
    this.sub = new Redis(this.options.url, {
      ...common,
      autoResubscribe: true,
      maxRetriesPerRequest: null,
    });
    this.members = new ChannelMembers(this.instanceId, {
      forward: (channel, payload) => this.forward(channel, payload),
      firstJoined: (channel) => this.track(this.sub.subscribe(this.redisChannel(channel))),
      lastLeft: (channel) => this.track(this.sub.unsubscribe(this.redisChannel(channel))),
      listenerFailed: (err) =>
        this.options.onError(
          new TaurusError("HANDLER_FAILED", `backplane listener failed: ${String(err)}`, {
            cause: err,
          }),
        ),
    });
    for (const [name, conn] of [
      ["publishing", this.pub],
      ["subscribed", this.sub],
    ] as const) {
      conn.on("error", (err: Error) =>
        this.options.onError(
          new TaurusError("SOCKET", `redis (${name} connection): ${err.message}`, { cause: err }),
        ),
      );
    }
    this.pub.on("ready", this.flush);
    this.sub.on("ready", () => {
      if (this.subReadyOnce) this.counts.reconnects++;
      this.subReadyOnce = true;
    });
    this.sub.on("messageBuffer", this.onMessage);
  }

  /**
   * Joins a channel: `listener` gets what the other members here and on
   * every other instance publish on it. The first member of a channel
   * subscribes this instance to it in Redis.
   *
   * @throws `TaurusError` `CONNECTION_CLOSED` once the adapter is closed
   */
  join(channel: string, listener: BackplaneListener): BackplaneMembership {
    if (this.closed) throw new TaurusError("CONNECTION_CLOSED", "adapter is closed");
    return this.members.join(channel, listener);
  }

  /**
   * Resolves once both connections are up and every channel joined so far is
   * subscribed in Redis. Optional: the adapter works (and queues) without it.
   *
   * @param timeout - ms to wait; @defaultValue {@link DEFAULT_READY_TIMEOUT} (5000)
   * @throws `TaurusError` `CONNECT_TIMEOUT` when Redis was not reached in time;
   *   `CONNECTION_CLOSED` when the adapter is closed meanwhile
   */
  async ready(timeout = DEFAULT_READY_TIMEOUT): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (this.closed) finish(new TaurusError("CONNECTION_CLOSED", "adapter is closed"));
        else if (this.pub.status === "ready" && this.sub.status === "ready") finish(undefined);
      };
      const timer = setTimeout(
        () =>
          finish(
            new TaurusError(
              "CONNECT_TIMEOUT",
              `redis ${this.options.url} not ready in ${timeout} ms`,
            ),
          ),
        timeout,
      );
      const finish = (error: TaurusError | undefined): void => {
        clearTimeout(timer);
        this.pub.off("ready", check).off("end", check);
        this.sub.off("ready", check).off("end", check);
        if (error) reject(error);
        else resolve();
      };
      this.pub.on("ready", check).on("end", check);
      this.sub.on("ready", check).on("end", check);
      check();
    });
    await Promise.all(this.subscribing);
  }

  /** What the adapter counted, and whether Redis is reachable. */
  stats(): RedisAdapterStats {
    return {
      ...this.counts,
      queued: this.queue.length,
      connected: this.pub.status === "ready" && this.sub.status === "ready",
    };
  }

  /**
   * Leaves every channel, drops (and counts) what is still queued, and
   * closes both connections; idempotent.
   */
  close(): Promise<void> {
    if (!this.closed) {
      this.members.clear();
      this.counts.dropped += this.queue.length;
      this.queue = [];
      this.closed = Promise.all([quit(this.pub), quit(this.sub)]).then(() => {});
    }
    return this.closed;
  }

  private forward(channel: string, payload: Uint8Array): void {
    if (this.closed) {
      this.counts.dropped++;
      return;
    }
    const message = seal(this.id, payload);
    if (this.pub.status === "ready" && this.queue.length === 0) {
      this.send(this.redisChannel(channel), message);
    } else if (this.queue.length < this.options.maxQueued) {
      this.queue.push({ channel, message });
    } else {
      this.counts.dropped++;
    }
  }

  private send(redisChannel: Buffer, message: Buffer): void {
    this.pub.publish(redisChannel, message).then(this.onPublished, this.onPublishFailed);
  }

  private readonly onPublished = (): void => {
    this.counts.published++;
  };

  private readonly onPublishFailed = (err: unknown): void => {
    this.counts.dropped++;
    this.options.onError(
      new TaurusError("SOCKET", `redis publish failed: ${String(err)}`, { cause: err }),
    );
  };

  /** The publishing connection is (back) up: publishes what was queued, in order. */
  private readonly flush = (): void => {
    const queued = this.queue;
    this.queue = [];
    for (const { channel, message } of queued) this.send(this.redisChannel(channel), message);
  };

  private readonly onMessage = (redisChannel: Buffer, message: Buffer): void => {
    const prefix = this.options.prefix;
    const name = redisChannel.toString("utf8");
    if (!name.startsWith(prefix)) return;
    const envelope = open(message);
    if (!envelope || envelope.origin === this.instanceId) return;
    this.counts.received++;
    this.members.deliver(name.slice(prefix.length), envelope.payload, envelope.origin);
  };

  private redisChannel(channel: string): Buffer {
    let name = this.redisChannels.get(channel);
    if (!name) {
      name = Buffer.from(this.options.prefix + channel, "utf8");
      this.redisChannels.set(channel, name);
    }
    return name;
  }

  private track(command: Promise<unknown>): void {
    const settled: Promise<unknown> = command.then(
      (): void => void this.subscribing.delete(settled),
      (): void => void this.subscribing.delete(settled),
    );
    this.subscribing.add(settled);
  }
}

/** Closes a connection: politely when it is up, at once otherwise (which also stops reconnecting). */
async function quit(conn: Redis): Promise<void> {
  if (conn.status === "ready") {
    try {
      await conn.quit();
      return;
    } catch {
      // fall through
    }
  }
  conn.disconnect();
}

/**
 * Creates a Redis pub/sub adapter and starts connecting (it does not wait:
 * see {@link RedisAdapter.ready}).
 *
 * @param options - see {@link RedisAdapterOptions} for defaults
 * @returns the adapter; close it after the servers that use it
 * @throws `TaurusError` `INVALID_OPTION` for an option out of range
 *
 * @example
 * ```ts
 * const adapter = createRedisAdapter({ url: "redis://10.0.0.5:6379" });
 * await adapter.ready();
 * const server = createServer({ protocol, backplane: { adapter, codec, channel: "lobby" } });
 * ```
 */
export function createRedisAdapter(options: RedisAdapterOptions = {}): RedisAdapter {
  return new RedisAdapter(options);
}
