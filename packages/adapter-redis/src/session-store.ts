import { integerOption, TaurusError } from "@taurus/core-conn";
import { Redis } from "ioredis";
import { isReplyError } from "./reply-error";
import { ACKNOWLEDGE, APPEND, CREATE, LOAD, RECEIVED } from "./session-scripts";
import { quit } from "./transport";

/** Default prefix of the session keys: `"taurus:session:"`. */
export const DEFAULT_SESSION_PREFIX = "taurus:session:";
/** Default time a session is kept after its last write, in ms: 2 minutes (the resume window). */
export const DEFAULT_SESSION_TTL = 120_000;
/** Default most unacknowledged outbound frames a session keeps: 1024. */
export const DEFAULT_SESSION_MAX_MESSAGES = 1024;
/** Default most bytes of unacknowledged outbound frames a session keeps: 16 MiB. */
export const DEFAULT_SESSION_MAX_BYTES = 16 * 1024 * 1024;

/** Options of {@link createRedisSessionStore}. Every field is optional. */
export interface RedisSessionStoreOptions {
  /** The Redis server, as `redis://[user:password@]host:port[/db]`. @defaultValue `"redis://127.0.0.1:6379"` */
  url?: string;
  /**
   * A connection to use instead of opening one from `url`; the store does
   * not close it.
   * @defaultValue none: the store opens (and closes) its own
   */
  redis?: Redis;
  /** Prefix of every key. @defaultValue {@link DEFAULT_SESSION_PREFIX} */
  prefix?: string;
  /**
   * Milliseconds a session is kept after its last write: the resume window.
   * Every write renews it. An integer, at least 1.
   * @defaultValue {@link DEFAULT_SESSION_TTL} (2 minutes)
   */
  ttl?: number;
  /** Most unacknowledged outbound frames per session; an integer, at least 1. @defaultValue {@link DEFAULT_SESSION_MAX_MESSAGES} (1024) */
  maxMessages?: number;
  /** Most bytes of unacknowledged outbound frames per session; an integer, at least 1. @defaultValue {@link DEFAULT_SESSION_MAX_BYTES} (16 MiB) */
  maxBytes?: number;
}

/** A session as the store keeps it. */
export interface StoredSession {
  /** Data frames received from the peer and processed (what this side acknowledges). */
  received: number;
  /** Data frames sent to the peer on this session. */
  sent: number;
  /** Of those, acknowledged by the peer. */
  acked: number;
  /** The unacknowledged frames, numbers `acked + 1` to `sent`, oldest first. */
  unacked: Uint8Array[];
}

type Reply = number | null;
interface SessionCommands {
  taurusSessionCreate(meta: string, out: string, ttl: number): Promise<Reply>;
  taurusSessionAppend(
    meta: string,
    out: string,
    ttl: number,
    maxMessages: number,
    maxBytes: number,
    ...frames: Buffer[]
  ): Promise<Reply>;
  taurusSessionAcknowledge(meta: string, out: string, ttl: number, acked: number): Promise<Reply>;
  taurusSessionReceived(meta: string, out: string, ttl: number, received: number): Promise<Reply>;
  taurusSessionLoadBuffer(
    meta: string,
    out: string,
    ttl: number,
  ): Promise<[Buffer, Buffer, Buffer, Buffer[]] | null>;
}

const SCRIPTS = {
  taurusSessionCreate: CREATE,
  taurusSessionAppend: APPEND,
  taurusSessionAcknowledge: ACKNOWLEDGE,
  taurusSessionReceived: RECEIVED,
  taurusSessionLoad: LOAD,
};

function unknownSession(id: string): TaurusError {
  return new TaurusError(
    "CONNECTION_CLOSED",
    `session ${id} is unknown to the store (expired, deleted or never created)`,
  );
}

/**
 * Keeps sessions (issue 13) in Redis: each session's counts and its buffer of
 * unacknowledged outbound frames, so that a session survives a server
 * restart or resumes on another instance behind a load balancer. Every
 * change is one atomic Lua script; every write renews the session's time to
 * live (the resume window), after which Redis drops it. Each method resolves
 * once Redis has applied the write (and, with `appendfsync always`, written
 * it to disk): the session layer awaits `received()` before it acknowledges
 * to the peer, and `append()` before a frame goes on the wire.
 *
 * Keys: `<prefix>{<id>}` (a hash of the counts) and `<prefix>{<id>}:out` (a
 * list of frames); the hash tag keeps both in one slot of a Redis Cluster.
 */
export class RedisSessionStore {
  private readonly redis: Redis & SessionCommands;
  private readonly owned: boolean;
  private readonly prefix: string;
  /** Milliseconds a session is kept after its last write. */
  readonly ttl: number;
  /** Most unacknowledged outbound frames per session. */
  readonly maxMessages: number;
  /** Most bytes of unacknowledged outbound frames per session. */
  readonly maxBytes: number;

  /**
   * @param options - see {@link RedisSessionStoreOptions}; @defaultValue all defaults
   * @throws `TaurusError` `INVALID_OPTION` for an option out of range
   */
  constructor(options: RedisSessionStoreOptions = {}) {
    this.ttl = integerOption("ttl", options.ttl, DEFAULT_SESSION_TTL, 1);
    this.maxMessages = integerOption(
      "maxMessages",
      options.maxMessages,
      DEFAULT_SESSION_MAX_MESSAGES,
      1,
    );
    this.maxBytes = integerOption("maxBytes", options.maxBytes, DEFAULT_SESSION_MAX_BYTES, 1);
    this.prefix = options.prefix ?? DEFAULT_SESSION_PREFIX;
    this.owned = options.redis === undefined;
    const redis =
      options.redis ??
      new Redis(options.url ?? "redis://127.0.0.1:6379", {
        maxRetriesPerRequest: 1,
        retryStrategy: (times: number) => Math.min(25 * 2 ** Math.min(times - 1, 16), 1_000),
      });
    if (this.owned) redis.on("error", () => {}); // each failed command rejects with its own error
    for (const [name, lua] of Object.entries(SCRIPTS)) {
      redis.defineCommand(name, { numberOfKeys: 2, lua });
    }
    this.redis = redis as Redis & SessionCommands;
  }

  /**
   * Starts session `id` afresh (counts at 0, nothing buffered), replacing
   * whatever the store kept under that id.
   *
   * @throws `TaurusError` `SOCKET` (as a rejection) when Redis cannot be reached or refuses
   */
  async create(id: string): Promise<void> {
    await this.run(() => this.redis.taurusSessionCreate(...this.keys(id), this.ttl));
  }

  /**
   * Reads session `id` and renews its time to live.
   *
   * @returns the session, or `undefined` when the store does not have it (expired, deleted, never created)
   * @throws `TaurusError` `SOCKET` (as a rejection) when Redis cannot be reached or refuses
   */
  async load(id: string): Promise<StoredSession | undefined> {
    const reply = await this.run(() =>
      this.redis.taurusSessionLoadBuffer(...this.keys(id), this.ttl),
    );
    if (reply === null) return undefined;
    const [received, sent, acked, frames] = reply;
    return {
      received: Number(received.toString()),
      sent: Number(sent.toString()),
      acked: Number(acked.toString()),
      unacked: frames.map((f) => new Uint8Array(f.buffer, f.byteOffset, f.byteLength)),
    };
  }

  /**
   * Appends outbound frames to the session's buffer, in order; they take the
   * numbers after the session's `sent` count. All of them or none.
   *
   * @returns the session's new `sent` count
   * @throws `TaurusError` (as a rejection) `SEND_QUEUE_FULL` when the buffer would pass
   *   `maxMessages` or `maxBytes` (nothing appended); `CONNECTION_CLOSED` when the session
   *   is unknown; `SOCKET` when Redis cannot be reached or refuses
   */
  async append(id: string, frames: readonly Uint8Array[]): Promise<number> {
    if (frames.length === 0) {
      const session = await this.load(id);
      if (!session) throw unknownSession(id);
      return session.sent;
    }
    const buffers = frames.map((f) => Buffer.from(f.buffer, f.byteOffset, f.byteLength));
    const reply = await this.run(() =>
      this.redis.taurusSessionAppend(
        ...this.keys(id),
        this.ttl,
        this.maxMessages,
        this.maxBytes,
        ...buffers,
      ),
    );
    if (reply === -1) throw unknownSession(id);
    if (reply === -2) {
      throw new TaurusError(
        "SEND_QUEUE_FULL",
        `session ${id}: ${frames.length} more frames would pass its buffer's bounds (${this.maxMessages} frames, ${this.maxBytes} bytes)`,
      );
    }
    return Number(reply);
  }

  /**
   * The peer acknowledged the session's outbound frames up to `acked` (a
   * cumulative count): they are dropped from the buffer. A count at or below
   * the last one changes nothing.
   *
   * @returns the session's `acked` count
   * @throws `TaurusError` (as a rejection) `INVALID_MESSAGE` when `acked` passes the
   *   session's `sent` count; `CONNECTION_CLOSED` when the session is unknown; `SOCKET`
   *   when Redis cannot be reached or refuses
   */
  async acknowledge(id: string, acked: number): Promise<number> {
    const reply = await this.run(() =>
      this.redis.taurusSessionAcknowledge(...this.keys(id), this.ttl, acked),
    );
    if (reply === -1) throw unknownSession(id);
    if (reply === -3) {
      throw new TaurusError(
        "INVALID_MESSAGE",
        `session ${id}: acknowledgement of ${acked} frames passes what was sent`,
      );
    }
    return Number(reply);
  }

  /**
   * The session processed the peer's frames up to `received` (a cumulative
   * count, never lowered): awaited before the acknowledgement goes to the peer.
   *
   * @returns the session's `received` count
   * @throws `TaurusError` (as a rejection) `CONNECTION_CLOSED` when the session is unknown;
   *   `SOCKET` when Redis cannot be reached or refuses
   */
  async received(id: string, received: number): Promise<number> {
    const reply = await this.run(() =>
      this.redis.taurusSessionReceived(...this.keys(id), this.ttl, received),
    );
    if (reply === -1) throw unknownSession(id);
    return Number(reply);
  }

  /**
   * Forgets session `id` (ended by either side).
   *
   * @throws `TaurusError` `SOCKET` (as a rejection) when Redis cannot be reached or refuses
   */
  async delete(id: string): Promise<void> {
    await this.run(() => this.redis.del(...this.keys(id)));
  }

  /** Closes the store's own connection (not one given as `redis`). */
  async close(): Promise<void> {
    if (this.owned) await quit(this.redis);
  }

  private keys(id: string): [string, string] {
    const meta = `${this.prefix}{${id}}`;
    return [meta, `${meta}:out`];
  }

  private async run<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (err) {
      const what = isReplyError(err) ? "Redis refused a session write" : "Redis unreachable";
      throw new TaurusError("SOCKET", `${what}: ${(err as Error).message}`, { cause: err });
    }
  }
}

/**
 * Creates a {@link RedisSessionStore}.
 *
 * @param options - see {@link RedisSessionStoreOptions}; @defaultValue all defaults
 * @returns the store; close it with `close()` after the servers that use it
 * @throws `TaurusError` `INVALID_OPTION` for an option out of range
 *
 * @example
 * ```ts
 * const store = createRedisSessionStore({ url: "redis://10.0.0.5:6379", ttl: 120_000 });
 * ```
 */
export function createRedisSessionStore(options: RedisSessionStoreOptions = {}): RedisSessionStore {
  return new RedisSessionStore(options);
}
