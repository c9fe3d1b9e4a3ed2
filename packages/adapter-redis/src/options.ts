import { TaurusError } from "@taurus/core-conn";
import { integerOption } from "@taurus/core-conn/internal";
import type { RedisOptions } from "ioredis";

/** Default Redis URL: `"redis://127.0.0.1:6379"`. */
export const DEFAULT_REDIS_URL = "redis://127.0.0.1:6379";
/** Default prefix of the Redis channels and stream keys: `"taurus:"` (channel `room` is `taurus:room`). */
export const DEFAULT_CHANNEL_PREFIX = "taurus:";
/** Default most messages kept while Redis is away: 1000. */
export const DEFAULT_MAX_QUEUED = 1000;
/** Default longest wait between two reconnection attempts, in ms: 200. */
export const DEFAULT_MAX_RETRY_DELAY = 200;
/** Default base delay of the reconnection backoff, in ms: 25 (the first retry waits 12.5 to 25 ms). */
export const DEFAULT_RETRY_DELAY = 25;
/** Default backplane mode: `"pubsub"`. */
export const DEFAULT_MODE = "pubsub";
/** Default entries a stream keeps per channel in `streams` mode (approximately, `MAXLEN ~`): 10,000. */
export const DEFAULT_MAX_LEN = 10_000;
/** Default ms between two ticks of an idle publisher: 1000. */
export const DEFAULT_TICK_INTERVAL = 1000;
/** Most publishes awaiting Redis's answer at once; past it, messages wait in the queue: 1000. */
export const MAX_IN_FLIGHT = 1000;

/**
 * How messages cross Redis:
 * - `"pubsub"`: `PUBLISH`/`SUBSCRIBE`. Fast; Redis keeps nothing, so what is
 *   published while an instance is not subscribed never reaches it (at most
 *   once; every such loss is counted in `lost`).
 * - `"sharded"`: `SPUBLISH`/`SSUBSCRIBE` (Redis 7), the pub/sub of Redis
 *   Cluster, where each channel lives on one shard. Same guarantees as `pubsub`.
 * - `"streams"`: `XADD` to a capped stream per channel (`MAXLEN ~ maxLen`),
 *   which each instance reads with `XREAD` from the last id it saw, and
 *   resumes from after a Redis restart, a network blip or a stall: exactly
 *   once within the retention, as long as Redis keeps the stream (with
 *   persistence, across its restarts too).
 */
export type RedisAdapterMode = "pubsub" | "sharded" | "streams";

/** Options of {@link createRedisAdapter}. Every field is optional. */
export interface RedisAdapterOptions {
  /** The Redis server, as `redis://[user:password@]host:port[/db]`. @defaultValue {@link DEFAULT_REDIS_URL} */
  url?: string;
  /** How messages cross Redis (see {@link RedisAdapterMode}). @defaultValue {@link DEFAULT_MODE} (`"pubsub"`) */
  mode?: RedisAdapterMode;
  /** Prefix of every Redis channel name (and stream key). @defaultValue {@link DEFAULT_CHANNEL_PREFIX} */
  prefix?: string;
  /**
   * Most messages kept, in order, while the publishing connection to Redis
   * is down (or while {@link MAX_IN_FLIGHT} publishes await their answer);
   * they are published when it is back. A message past this bound is dropped
   * and counted in `dropped`. `0` keeps nothing.
   * @defaultValue {@link DEFAULT_MAX_QUEUED} (1000)
   */
  maxQueued?: number;
  /**
   * `streams` mode: entries each channel's stream keeps (trimmed with
   * `MAXLEN ~`, so approximately). An instance that falls further behind than
   * this loses the oldest entries, and counts them in `lost`.
   * @defaultValue {@link DEFAULT_MAX_LEN} (10,000)
   */
  maxLen?: number;
  /**
   * Base delay of the reconnection backoff, in ms, as in `@taurus/client`:
   * retry `n` waits a random time in `[d/2, d]` with
   * `d = min(maxRetryDelay, retryDelay * 2^(n-1))`. The adapter never gives up.
   * @defaultValue {@link DEFAULT_RETRY_DELAY} (25)
   */
  retryDelay?: number;
  /**
   * Longest wait between reconnection attempts, in ms (the cap of the
   * backoff, as in `@taurus/client`).
   * @defaultValue {@link DEFAULT_MAX_RETRY_DELAY} (200)
   */
  maxRetryDelay?: number;
  /**
   * While a publisher is idle, it sends a tick this often on each channel it
   * published on (its last sequence number), so that a receiver counts a loss
   * at the end of a burst too. `0` sends none.
   * @defaultValue {@link DEFAULT_TICK_INTERVAL} (1000 ms)
   */
  tickInterval?: number;
  /** This instance's id (1 to 255 bytes of UTF-8). @defaultValue a random one (`createInstanceId()`) */
  instanceId?: string;
  /**
   * Connection errors (`SOCKET`, for each failed attempt while Redis is
   * away; also a publish Redis refused), malformed envelopes
   * (`MALFORMED_BODY`) and listener failures (`HANDLER_FAILED`). The adapter
   * never logs; see also its `down`, `up` and `lost` events.
   * @defaultValue ignored
   */
  onError?: (error: TaurusError) => void;
  /** More `ioredis` options for every connection (TLS, sentinels...), applied before the adapter's own. @defaultValue none */
  redis?: RedisOptions;
}

/** @internal */
export interface ResolvedRedisAdapterOptions {
  url: string;
  mode: RedisAdapterMode;
  prefix: string;
  maxQueued: number;
  maxLen: number;
  retryDelay: number;
  maxRetryDelay: number;
  tickInterval: number;
  instanceId: string | undefined;
  onError: (error: TaurusError) => void;
  redis: RedisOptions;
}

const MODES: readonly RedisAdapterMode[] = ["pubsub", "sharded", "streams"];

/** The error of a bad option, naming it as the user wrote it. */
function invalid(option: string, requirement: string, value: unknown): TaurusError {
  return new TaurusError(
    "INVALID_OPTION",
    `option ${option} ${requirement}, got ${String(value)}`,
    { option },
  );
}

/** @internal Applies defaults and validates. */
export function resolveRedisAdapterOptions(o: RedisAdapterOptions): ResolvedRedisAdapterOptions {
  if (o.instanceId !== undefined) {
    const bytes = typeof o.instanceId === "string" ? Buffer.byteLength(o.instanceId) : 0;
    if (bytes < 1 || bytes > 255) {
      throw invalid("instanceId", "must be a string of 1 to 255 bytes", o.instanceId);
    }
  }
  const mode = o.mode ?? DEFAULT_MODE;
  if (!MODES.includes(mode)) throw invalid("mode", `must be one of ${MODES.join(", ")}`, mode);
  if (o.url !== undefined && typeof o.url !== "string") {
    throw invalid("url", "must be a redis:// URL string", o.url);
  }
  if (o.prefix !== undefined && typeof o.prefix !== "string") {
    throw invalid("prefix", "must be a string", o.prefix);
  }
  return {
    url: o.url ?? DEFAULT_REDIS_URL,
    mode,
    prefix: o.prefix ?? DEFAULT_CHANNEL_PREFIX,
    maxQueued: integerOption("maxQueued", o.maxQueued, DEFAULT_MAX_QUEUED, 0),
    maxLen: integerOption("maxLen", o.maxLen, DEFAULT_MAX_LEN, 1),
    retryDelay: integerOption("retryDelay", o.retryDelay, DEFAULT_RETRY_DELAY, 1),
    maxRetryDelay: integerOption("maxRetryDelay", o.maxRetryDelay, DEFAULT_MAX_RETRY_DELAY, 1),
    tickInterval: integerOption("tickInterval", o.tickInterval, DEFAULT_TICK_INTERVAL, 0),
    instanceId: o.instanceId,
    onError: o.onError ?? (() => {}),
    redis: o.redis ?? {},
  };
}
