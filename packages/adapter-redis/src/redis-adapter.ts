import { randomBytes } from "node:crypto";
import { EventEmitter } from "node:events";
import { TaurusError } from "@taurus/core-conn";
import { backoffDelay } from "@taurus/core-conn/internal";
import { SequenceTracker } from "@taurus/server";
import {
  type AdapterStats,
  type BackplaneListener,
  type BackplaneMembership,
  type BroadcastAdapter,
  ChannelMembers,
  createInstanceId,
} from "@taurus/server/adapter";
import { Redis, type RedisOptions } from "ioredis";
import { KIND_MESSAGE, KIND_TICK, open } from "./envelope";
import {
  type RedisAdapterMode,
  type RedisAdapterOptions,
  type ResolvedRedisAdapterOptions,
  resolveRedisAdapterOptions,
} from "./options";
import { Outbox } from "./outbox";
import { PubSubTransport } from "./pubsub-transport";
import { StreamTransport } from "./stream-transport";
import type { Transport, TransportHooks } from "./transport";

/** Default ms {@link RedisAdapter.ready} waits: 5000. */
export const DEFAULT_READY_TIMEOUT = 5000;

/** What a {@link RedisAdapter} counted, and where it stands. */
export interface RedisAdapterStats extends AdapterStats {
  /** Messages received from other instances (the shared name of `received`). */
  messagesIn: number;
  /** Messages published and acknowledged by Redis (the shared name of `published`). */
  messagesOut: number;
  /** Payload bytes of `messagesIn` (envelopes not counted). */
  bytesIn: number;
  /** Payload bytes of `messagesOut` (envelopes not counted). */
  bytesOut: number;
  /** Errors reported to `onError`, by code (`SOCKET`, `MALFORMED_BODY`...). */
  errorsByCode: Record<string, number>;
  /** Messages received from other instances. @deprecated Use `messagesIn`. */
  received: number;
  /** Messages published, acknowledged by Redis. @deprecated Use `messagesOut`. */
  published: number;
  /** Messages from other instances that never arrived here (sequence gaps), each counted once. */
  lost: number;
  /** Copies of messages already delivered (a publish sent again after a lost connection), dropped. */
  duplicates: number;
  /** Publishes Redis answered with an error (receivers count them as lost too). */
  refused: number;
  /** Messages waiting for the publishing connection (or for a place among those in flight). */
  queued: number;
  /** Publishes sent and not yet acknowledged by Redis. */
  inFlight: number;
  /** Every connection to Redis is up (`false` once the adapter is closed). */
  connected: boolean;
  /** Times the backplane came back after it was down. */
  reconnects: number;
  /** The mode: `pubsub`, `sharded` or `streams`. */
  mode: RedisAdapterMode;
}

/** The `down` event: the backplane lost Redis. */
export interface BackplaneDownEvent {
  /** The connection that went first: `publishing`, `subscribed` or `reading`. */
  connection: string;
  /** The last error seen on it, or `"connection closed"` (Redis cut it off, or went away). */
  reason: string;
}

/** The `up` event: every connection is back (after a `down`). */
export interface BackplaneUpEvent {
  /** Ms the backplane was down. */
  downtime: number;
  /** Messages this instance dropped while it was down (its queue was full). */
  dropped: number;
  /** Messages queued while it was down, now being published. */
  queued: number;
}

/** The `lost` event: messages from another instance that never arrived here. */
export interface BackplaneLostEvent {
  /** The channel. */
  channel: string;
  /** The publishing instance. */
  origin: string;
  /** How many of its messages are missing (also added to `stats().lost`). */
  count: number;
}

/** The events of a {@link RedisAdapter}. */
export interface RedisAdapterEvents {
  /** The backplane lost Redis: emitted at once, when the first connection drops. */
  down: [event: BackplaneDownEvent];
  /** Every connection is back; emitted once per `down`. */
  up: [event: BackplaneUpEvent];
  /** A gap in another instance's messages: that many were lost. */
  lost: [event: BackplaneLostEvent];
}

/**
 * A `BroadcastAdapter` (of `@taurus/server`) over Redis: each channel is a
 * Redis channel (`pubsub`, `sharded`) or a capped stream (`streams`) named
 * `prefix + name`. Every message carries its publisher's instance id, run
 * and a sequence number per channel, so that each instance delivers it once
 * and counts exactly what never arrived (`lost`). It reconnects forever with
 * short backoff, resubscribes (or resumes reading where it stopped) by
 * itself, emits `down`, `up` and `lost`, and never logs. Create it with
 * {@link createRedisAdapter}.
 *
 * While Redis is away, messages published here are queued, in order, up to
 * `maxQueued`, and published when the connection is back; past the bound they
 * are dropped and counted in `dropped`. In pub/sub modes what other instances
 * publish while this one is not subscribed never reaches it (counted in
 * `lost`); in `streams` mode it is read once this instance is back, within the
 * stream's retention. The servers keep serving their own connections throughout.
 */
export class RedisAdapter extends EventEmitter<RedisAdapterEvents> implements BroadcastAdapter {
  /** This instance's id, stamped on every message it publishes. */
  readonly instanceId: string;
  private readonly options: ResolvedRedisAdapterOptions;
  private readonly transport: Transport;
  private readonly outbox: Outbox;
  private readonly members: ChannelMembers;
  private readonly tracker = new SequenceTracker();
  private readonly listening = new Set<Promise<unknown>>();
  private readonly ticker: NodeJS.Timeout | undefined;
  private received = 0;
  private reconnects = 0;
  private up = false;
  private wasUp = false;
  private downSince = 0;
  private droppedAtDown = 0;
  private readonly lastErrors = new Map<string, string>();
  private closed: Promise<void> | undefined;
  private bytesIn = 0;
  private readonly errorsByCode: Record<string, number> = {};

  /** @internal use {@link createRedisAdapter} */
  constructor(options: RedisAdapterOptions = {}) {
    super();
    const resolved = resolveRedisAdapterOptions(options);
    const report = resolved.onError;
    this.options = {
      ...resolved,
      onError: (error) => {
        this.errorsByCode[error.code] = (this.errorsByCode[error.code] ?? 0) + 1;
        report(error);
      },
    };
    this.instanceId = this.options.instanceId ?? createInstanceId();
    const id = Buffer.from(this.instanceId, "utf8");
    this.transport = this.createTransport();
    const publisher = this.transport.publisher;
    this.outbox = new Outbox(id, randomBytes(4).readUInt32BE(0), this.options.maxQueued, {
      ready: () => publisher.status === "ready",
      send: (channel, message) => this.transport.publish(channel, message),
      refused: (err) =>
        this.options.onError(
          new TaurusError("SOCKET", `redis refused a publish: ${String(err)}`, { cause: err }),
        ),
    });
    this.members = new ChannelMembers(this.instanceId, {
      forward: (channel, payload) => this.outbox.publish(channel, payload),
      firstJoined: (channel) => this.track(this.transport.listen(channel)),
      lastLeft: (channel) => {
        this.transport.unlisten(channel);
        // Listening again later must not count what was published meanwhile as lost.
        this.tracker.forget(channel);
      },
      listenerFailed: (err) =>
        this.options.onError(
          new TaurusError("HANDLER_FAILED", `backplane listener failed: ${String(err)}`, {
            cause: err,
          }),
        ),
    });
    for (const [role, conn] of this.transport.connections) {
      conn.on("error", (err: Error) => {
        this.lastErrors.set(role, err.message);
        this.options.onError(
          new TaurusError("SOCKET", `redis (${role} connection): ${err.message}`, { cause: err }),
        );
      });
      conn.on("ready", () => {
        this.lastErrors.delete(role);
        this.statusChanged(role);
        // After ioredis has sent again what was in flight (it does so right after "ready").
        setImmediate(() => this.outbox.drain());
      });
      conn.on("close", () => this.statusChanged(role));
      conn.on("end", () => this.statusChanged(role));
    }
    const every = this.options.tickInterval;
    if (every > 0) {
      this.ticker = setInterval(() => {
        this.outbox.tick(this.members.names());
        this.tracker.sweep();
      }, every);
      this.ticker.unref();
    }
  }

  /**
   * Joins a channel: `listener` gets what the other members here and on
   * every other instance publish on it. The first member of a channel
   * subscribes this instance to it in Redis (or starts reading its stream).
   *
   * @throws `TaurusError` `CONNECTION_CLOSED` once the adapter is closed
   */
  join(channel: string, listener: BackplaneListener): BackplaneMembership {
    if (this.closed) throw new TaurusError("CONNECTION_CLOSED", "adapter is closed");
    return this.members.join(channel, listener);
  }

  /**
   * Publishes `payload` on `channel` without joining it (no subscription is made): the
   * members here and on every other instance get it, numbered like any publication.
   * Ignored once the adapter is closed; never throws.
   */
  publish(channel: string, payload: Uint8Array): void {
    if (!this.closed) this.members.publish(channel, payload);
  }

  /**
   * Resolves once every connection is up and every channel joined so far is
   * subscribed (or read) in Redis. Optional: the adapter works (and queues)
   * without it.
   *
   * @param timeout - ms to wait; @defaultValue {@link DEFAULT_READY_TIMEOUT} (5000)
   * @throws `TaurusError` `CONNECT_TIMEOUT` when Redis was not reached in time;
   *   `CONNECTION_CLOSED` when the adapter is closed meanwhile
   */
  async ready(timeout = DEFAULT_READY_TIMEOUT): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (this.closed) finish(new TaurusError("CONNECTION_CLOSED", "adapter is closed"));
        else if (this.up) finish(undefined);
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
      const conns = this.transport.connections.map(([, conn]) => conn);
      const finish = (error: TaurusError | undefined): void => {
        clearTimeout(timer);
        for (const conn of conns) conn.off("ready", check).off("end", check);
        if (error) reject(error);
        else resolve();
      };
      for (const conn of conns) conn.on("ready", check).on("end", check);
      check();
    });
    await Promise.all(this.listening);
  }

  /** What the adapter counted, and whether Redis is reachable. */
  stats(): RedisAdapterStats {
    return {
      messagesIn: this.received,
      messagesOut: this.outbox.published,
      bytesIn: this.bytesIn,
      bytesOut: this.outbox.publishedBytes,
      errorsByCode: { ...this.errorsByCode },
      published: this.outbox.published,
      received: this.received,
      dropped: this.outbox.dropped,
      lost: this.tracker.lost,
      duplicates: this.tracker.duplicates,
      refused: this.outbox.refused,
      queued: this.outbox.queued,
      inFlight: this.outbox.pending,
      connected: this.up && this.closed === undefined,
      reconnects: this.reconnects,
      mode: this.options.mode,
    };
  }

  /**
   * Leaves every channel, drops (and counts) what is still queued, and
   * closes every connection; idempotent.
   */
  close(): Promise<void> {
    if (!this.closed) {
      clearInterval(this.ticker);
      this.members.clear();
      this.outbox.close();
      this.closed = this.transport.close();
    }
    return this.closed;
  }

  /** For `await using`: {@link RedisAdapter.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  private createTransport(): Transport {
    const { mode, prefix, retryDelay, maxRetryDelay } = this.options;
    const common: RedisOptions = {
      ...this.options.redis,
      lazyConnect: false,
      // The client's backoff (core-conn's): about 25, 50, 100 ms... up to maxRetryDelay,
      // with jitter so that instances that lost one Redis do not all come back at once.
      retryStrategy: (times: number) => Math.round(backoffDelay(times, retryDelay, maxRetryDelay)),
      // A command lost with its connection is sent again once it is back (never failed
      // after some retries): the outbox counts on it, receivers drop the rare copy.
      maxRetriesPerRequest: null,
    };
    const publisher = new Redis(this.options.url, { ...common, enableOfflineQueue: false });
    const hooks: TransportHooks = {
      envelope: this.onEnvelope,
      failed: (err, what) =>
        this.options.onError(
          new TaurusError("SOCKET", `redis ${what} failed: ${String(err)}`, { cause: err }),
        ),
      ready: () => this.members.ready(),
      waiting: () => this.members.waiting,
    };
    if (mode === "streams") {
      const reader = new Redis(this.options.url, common);
      return new StreamTransport(publisher, reader, this.options.maxLen, prefix, hooks);
    }
    // The transport subscribes again itself after a reconnect (see PubSubTransport).
    const subscriber = new Redis(this.options.url, { ...common, autoResubscribe: false });
    return new PubSubTransport(publisher, subscriber, mode === "sharded", prefix, hooks);
  }

  /** A connection came up or went down: emits `down` at once, `up` once all are back. */
  private statusChanged(role: string): void {
    if (this.closed) return;
    const allUp = this.transport.connections.every(([, conn]) => conn.status === "ready");
    if (this.up && !allUp) {
      this.up = false;
      this.downSince = Date.now();
      this.droppedAtDown = this.outbox.dropped;
      this.emit("down", {
        connection: role,
        reason: this.lastErrors.get(role) ?? "connection closed",
      });
    } else if (!this.up && allUp) {
      this.up = true;
      if (this.wasUp) {
        this.reconnects++;
        this.emit("up", {
          downtime: Date.now() - this.downSince,
          dropped: this.outbox.dropped - this.droppedAtDown,
          queued: this.outbox.queued,
        });
      }
      this.wasUp = true;
    }
  }

  private readonly onEnvelope = (channel: string, message: Buffer): void => {
    const envelope = open(message);
    if (!envelope) {
      this.options.onError(
        new TaurusError("MALFORMED_BODY", `not a backplane envelope on ${channel}`),
      );
      return;
    }
    if (envelope.origin === this.instanceId) return;
    // Arrived after the last member here left (the unsubscribe was on its way): not
    // followed, so that listening again starts afresh (see SequenceTracker.forget).
    if (!this.members.has(channel)) return;
    const publisher = `${envelope.origin}/${envelope.run}`;
    let missing: number;
    if (envelope.kind === KIND_MESSAGE) {
      missing = this.tracker.observe(channel, publisher, envelope.sequence);
      if (missing >= 0) {
        this.received++;
        this.bytesIn += envelope.payload.length;
        this.members.deliver(channel, envelope.payload, envelope.origin);
      }
    } else if (envelope.kind === KIND_TICK) {
      missing = this.tracker.tick(channel, publisher, envelope.sequence);
    } else {
      return; // a kind of a later version
    }
    if (missing > 0) this.emit("lost", { channel, origin: envelope.origin, count: missing });
  };

  private track(command: Promise<unknown>): void {
    const settled: Promise<unknown> = command.then(
      (): void => void this.listening.delete(settled),
      (err: unknown): void => {
        this.listening.delete(settled);
        if (!this.closed) {
          this.options.onError(
            new TaurusError("SOCKET", `redis subscribe failed: ${String(err)}`, { cause: err }),
          );
        }
      },
    );
    this.listening.add(settled);
  }
}

/**
 * Creates a Redis adapter and starts connecting (it does not wait: see
 * {@link RedisAdapter.ready}).
 *
 * @param options - see {@link RedisAdapterOptions} for defaults
 * @returns the adapter; close it after the servers that use it
 * @throws `TaurusError` `INVALID_OPTION` for an option out of range
 *
 * @example
 * ```ts
 * const adapter = createRedisAdapter({ url: "redis://10.0.0.5:6379", mode: "streams" });
 * adapter.on("down", (e) => log.warn("backplane down", e));
 * adapter.on("up", (e) => log.info("backplane back", e));
 * await adapter.ready();
 * const server = createServer({ protocol, backplane: { adapter, codec, channel: "lobby" } });
 * ```
 */
export function createRedisAdapter(options: RedisAdapterOptions = {}): RedisAdapter {
  return new RedisAdapter(options);
}
