import { TaurusError } from "@taurus/core-conn";
import { integerOption } from "@taurus/core-conn/internal";
import type { SessionRecord, SessionStore } from "@taurus/server";
import { Redis } from "ioredis";
import { isReplyError } from "./reply-error";
import {
  ACKNOWLEDGE,
  APPEND,
  CREATE,
  DELETE,
  DETACH,
  EXPIRE,
  LOAD,
  RECEIVED,
} from "./session-scripts";
import { quit } from "./transport";

/** Default prefix of the session keys: `"taurus:session:"`. */
export const DEFAULT_SESSION_PREFIX = "taurus:session:";
/**
 * Default time Redis keeps a session that a connection holds after its last
 * write, in ms: 1 hour. A safety net for the sessions of a server that died
 * and never came back; a detached session expires at its own `expiresAt`.
 */
export const DEFAULT_SESSION_TTL = 3_600_000;
/** Default most unacknowledged frames a session keeps in Redis: 4096 (the server bounds it first). */
export const DEFAULT_SESSION_MAX_MESSAGES = 4096;
/** Default most bytes of unacknowledged frames a session keeps in Redis: 16 MiB (the server bounds it first). */
export const DEFAULT_SESSION_MAX_BYTES = 16 * 1024 * 1024;
/** How long past its `expiresAt` Redis keeps a detached session, for `expire()` to report it: 60 s. */
const EXPIRY_GRACE = 60_000;

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
   * Milliseconds Redis keeps a session held by a connection after its last
   * write; an integer, at least 1.
   * @defaultValue {@link DEFAULT_SESSION_TTL} (1 hour)
   */
  ttl?: number;
  /** Most unacknowledged frames per session; an integer, at least 1. @defaultValue {@link DEFAULT_SESSION_MAX_MESSAGES} (4096) */
  maxMessages?: number;
  /** Most bytes of unacknowledged frames per session; an integer, at least 1. @defaultValue {@link DEFAULT_SESSION_MAX_BYTES} (16 MiB) */
  maxBytes?: number;
}

type Fields = [Buffer, Buffer, Buffer, Buffer, Buffer, Buffer, Buffer[], Buffer[]?];
interface SessionCommands {
  taurusSessionCreate(...args: Array<string | number | Buffer>): Promise<number>;
  taurusSessionAppend(...args: Array<string | number | Buffer>): Promise<number>;
  taurusSessionAcknowledge(...args: Array<string | number>): Promise<number>;
  taurusSessionReceived(...args: Array<string | number>): Promise<number>;
  taurusSessionDetach(...args: Array<string | number>): Promise<number>;
  taurusSessionDelete(...args: string[]): Promise<number>;
  taurusSessionLoadBuffer(...args: string[]): Promise<Fields | null>;
  taurusSessionExpireBuffer(...args: Array<string | number>): Promise<Array<[Buffer, ...Fields]>>;
}

const FOUR_KEYS = {
  taurusSessionCreate: CREATE,
  taurusSessionAppend: APPEND,
  taurusSessionAcknowledge: ACKNOWLEDGE,
  taurusSessionReceived: RECEIVED,
  taurusSessionDetach: DETACH,
  taurusSessionDelete: DELETE,
  taurusSessionLoad: LOAD,
};

function toRecord(id: string, f: Fields): SessionRecord {
  const identity = f[5].toString();
  const flat = f[7] ?? [];
  const marks: Array<readonly [number, number]> = [];
  for (let i = 0; i + 1 < flat.length; i += 2) {
    marks.push([Number(String(flat[i])), Number(String(flat[i + 1]))]);
  }
  marks.sort((a, b) => a[0] - b[0]);
  return {
    id,
    received: Number(f[0].toString()),
    sent: Number(f[1].toString()),
    acknowledged: Number(f[2].toString()),
    expiresAt: Number(f[3].toString()),
    address: f[4].toString(),
    ...(identity === "" ? {} : { identity }),
    pending: f[6].map((b) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength)),
    ...(marks.length === 0 ? {} : { replies: marks }),
  };
}

const buffer = (f: Uint8Array): Buffer => Buffer.from(f.buffer, f.byteOffset, f.byteLength);

/**
 * A `SessionStore` of `@taurus/server` in Redis (issue 13): each session's
 * counts and its unacknowledged frames, so that a session survives a server
 * restart or resumes on another instance behind a load balancer. Every change
 * is one atomic Lua script; each method resolves once Redis has applied the
 * write (and, with `appendfsync always`, written it to disk), so the server
 * acknowledges only what Redis holds. A write to an unknown session changes
 * nothing. Detached sessions are kept until their `expiresAt` and taken by
 * the first instance whose `expire()` asks (each reported lost once).
 *
 * Keys: `<prefix>{<id>}` (a hash), `<prefix>{<id>}:out` (a list of frames),
 * `<prefix>detached` (a sorted set by expiry) and `<prefix>all` (a set).
 * Meant for one Redis (with replicas), not Redis Cluster.
 */
export class RedisSessionStore implements SessionStore {
  private readonly redis: Redis & SessionCommands;
  private readonly owned: boolean;
  private readonly prefix: string;
  /** Milliseconds Redis keeps a held session after its last write. */
  readonly ttl: number;
  /** Most unacknowledged frames per session. */
  readonly maxMessages: number;
  /** Most bytes of unacknowledged frames per session. */
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
    for (const [name, lua] of Object.entries(FOUR_KEYS)) {
      redis.defineCommand(name, { numberOfKeys: 4, lua });
    }
    redis.defineCommand("taurusSessionExpire", { numberOfKeys: 2, lua: EXPIRE });
    this.redis = redis as Redis & SessionCommands;
  }

  /**
   * Stores a new session (replacing one of the same id).
   * @throws `TaurusError` `SOCKET` (as a rejection) when Redis cannot be reached or refuses
   */
  async create(record: SessionRecord): Promise<void> {
    const r = record;
    await this.run(() =>
      this.redis.taurusSessionCreate(
        ...this.keys(r.id),
        r.id,
        this.ttl,
        r.received,
        r.sent,
        r.acknowledged,
        r.expiresAt,
        r.address,
        r.identity ?? "",
        (r.replies ?? []).map(([frame, to]) => `${frame}:${to}`).join(","),
        ...r.pending.map(buffer),
      ),
    );
  }

  /**
   * Reads a session.
   * @returns the session; `undefined` when unknown or expired
   * @throws `TaurusError` `SOCKET` (as a rejection) when Redis cannot be reached or refuses
   */
  async load(id: string): Promise<SessionRecord | undefined> {
    const reply = await this.run(() => this.redis.taurusSessionLoadBuffer(...this.keys(id), id));
    if (reply === null) return undefined;
    const record = toRecord(id, reply);
    if (record.expiresAt !== 0 && record.expiresAt <= Date.now()) return undefined;
    return record;
  }

  /**
   * Appends frames the server sent; `sent` is the new total. All of them or none.
   * @throws `TaurusError` (as a rejection) `SEND_QUEUE_FULL` past `maxMessages` or
   *   `maxBytes` (nothing appended); `SOCKET` when Redis cannot be reached or refuses
   */
  async append(
    id: string,
    frames: readonly Uint8Array[],
    sent: number,
    replyTo?: number,
  ): Promise<void> {
    const reply = await this.run(() =>
      this.redis.taurusSessionAppend(
        ...this.keys(id),
        id,
        this.ttl,
        this.maxMessages,
        this.maxBytes,
        sent,
        replyTo ?? 0,
        ...frames.map(buffer),
      ),
    );
    if (reply === -2) {
      throw new TaurusError(
        "SEND_QUEUE_FULL",
        `session ${id}: ${frames.length} more frames would pass the store's bounds (${this.maxMessages} frames, ${this.maxBytes} bytes)`,
      );
    }
  }

  /**
   * The client confirmed `acknowledged` server frames: drops them.
   * @throws `TaurusError` `SOCKET` (as a rejection) when Redis cannot be reached or refuses
   */
  async acknowledge(id: string, acknowledged: number): Promise<void> {
    await this.run(() =>
      this.redis.taurusSessionAcknowledge(...this.keys(id), id, this.ttl, acknowledged),
    );
  }

  /**
   * The server processed `received` client frames (cumulative, never lowered).
   * @throws `TaurusError` `SOCKET` (as a rejection) when Redis cannot be reached or refuses
   */
  async received(id: string, received: number): Promise<void> {
    await this.run(() =>
      this.redis.taurusSessionReceived(...this.keys(id), id, this.ttl, received),
    );
  }

  /**
   * No connection holds the session: it expires at `expiresAt` (ms since the epoch).
   * @throws `TaurusError` `SOCKET` (as a rejection) when Redis cannot be reached or refuses
   */
  async detach(id: string, expiresAt: number): Promise<void> {
    await this.run(() =>
      this.redis.taurusSessionDetach(...this.keys(id), id, this.ttl, expiresAt, EXPIRY_GRACE),
    );
  }

  /**
   * A connection holds the session again.
   * @throws `TaurusError` `SOCKET` (as a rejection) when Redis cannot be reached or refuses
   */
  async attach(id: string): Promise<void> {
    await this.run(() =>
      this.redis.taurusSessionDetach(...this.keys(id), id, this.ttl, 0, EXPIRY_GRACE),
    );
  }

  /**
   * Forgets a session.
   * @throws `TaurusError` `SOCKET` (as a rejection) when Redis cannot be reached or refuses
   */
  async delete(id: string): Promise<void> {
    await this.run(() => this.redis.taurusSessionDelete(...this.keys(id), id));
  }

  /**
   * Sessions in the store, of every instance sharing it (one that Redis dropped by its
   * time to live counts until deleted).
   * @throws `TaurusError` `SOCKET` (as a rejection) when Redis cannot be reached or refuses
   */
  async count(): Promise<number> {
    return this.run(() => this.redis.scard(`${this.prefix}all`));
  }

  /**
   * Takes the detached sessions whose `expiresAt` is past `now`; each is
   * returned to one caller only, whichever instance asks first.
   * @returns the expired records
   * @throws `TaurusError` `SOCKET` (as a rejection) when Redis cannot be reached or refuses
   */
  async expire(now: number): Promise<SessionRecord[]> {
    const reply = await this.run(() =>
      this.redis.taurusSessionExpireBuffer(
        `${this.prefix}detached`,
        `${this.prefix}all`,
        now,
        this.prefix,
      ),
    );
    return reply.map(([id, ...fields]) => toRecord(id.toString(), fields as Fields));
  }

  /** Closes the store's own connection (not one given as `redis`). */
  async close(): Promise<void> {
    if (this.owned) await quit(this.redis);
  }

  private keys(id: string): [string, string, string, string] {
    const meta = `${this.prefix}{${id}}`;
    return [meta, `${meta}:out`, `${this.prefix}detached`, `${this.prefix}all`];
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
 * Creates a {@link RedisSessionStore}, to pass as the server's `sessions.store`.
 *
 * @param options - see {@link RedisSessionStoreOptions}; @defaultValue all defaults
 * @returns the store; close it with `close()` after the servers that use it
 * @throws `TaurusError` `INVALID_OPTION` for an option out of range
 *
 * @example
 * ```ts
 * const store = createRedisSessionStore({ url: "redis://10.0.0.5:6379" });
 * const server = createServer({ protocol, handler, sessions: { store } });
 * ```
 */
export function createRedisSessionStore(options: RedisSessionStoreOptions = {}): RedisSessionStore {
  return new RedisSessionStore(options);
}
