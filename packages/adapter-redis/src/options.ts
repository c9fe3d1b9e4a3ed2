import { integerOption, TaurusError } from "@taurus/core-conn";
import type { RedisOptions } from "ioredis";

/** Default Redis URL: `"redis://127.0.0.1:6379"`. */
export const DEFAULT_REDIS_URL = "redis://127.0.0.1:6379";
/** Default prefix of the Redis channels: `"taurus:"` (channel `room` is Redis channel `taurus:room`). */
export const DEFAULT_CHANNEL_PREFIX = "taurus:";
/** Default most messages kept while Redis is away: 1000. */
export const DEFAULT_MAX_QUEUED = 1000;
/** Default longest wait between two reconnection attempts, in ms: 2000. */
export const DEFAULT_MAX_RETRY_DELAY = 2000;

/** Options of {@link createRedisAdapter}. Every field is optional. */
export interface RedisAdapterOptions {
  /** The Redis server, as `redis://[user:password@]host:port[/db]`. @defaultValue {@link DEFAULT_REDIS_URL} */
  url?: string;
  /** Prefix of every Redis channel name. @defaultValue {@link DEFAULT_CHANNEL_PREFIX} */
  prefix?: string;
  /**
   * Most messages kept, in order, while the publishing connection to Redis
   * is down; they are published when it is back. A message past this bound
   * is dropped and counted in `dropped`. `0` keeps nothing.
   * @defaultValue {@link DEFAULT_MAX_QUEUED} (1000)
   */
  maxQueued?: number;
  /**
   * Longest wait between reconnection attempts, in ms; attempts start 50 ms
   * apart and back off linearly up to it. The adapter never gives up.
   * @defaultValue {@link DEFAULT_MAX_RETRY_DELAY} (2000)
   */
  maxRetryDelay?: number;
  /** This instance's id (at most 255 bytes of UTF-8). @defaultValue a random one (`createInstanceId()`) */
  instanceId?: string;
  /**
   * Connection errors (`SOCKET`, for each failed attempt while Redis is
   * away) and listener failures (`HANDLER_FAILED`). The adapter never logs.
   * @defaultValue ignored
   */
  onError?: (error: TaurusError) => void;
  /** More `ioredis` options for both connections (TLS, sentinels...), applied before the adapter's own. @defaultValue none */
  redis?: RedisOptions;
}

/** @internal */
export interface ResolvedRedisAdapterOptions {
  url: string;
  prefix: string;
  maxQueued: number;
  maxRetryDelay: number;
  instanceId: string | undefined;
  onError: (error: TaurusError) => void;
  redis: RedisOptions;
}

/** @internal Applies defaults and validates. */
export function resolveRedisAdapterOptions(o: RedisAdapterOptions): ResolvedRedisAdapterOptions {
  if (o.instanceId !== undefined && Buffer.byteLength(o.instanceId) > 255) {
    throw new TaurusError("INVALID_OPTION", "option instanceId must be at most 255 bytes");
  }
  return {
    url: o.url ?? DEFAULT_REDIS_URL,
    prefix: o.prefix ?? DEFAULT_CHANNEL_PREFIX,
    maxQueued: integerOption("maxQueued", o.maxQueued, DEFAULT_MAX_QUEUED, 0),
    maxRetryDelay: integerOption("maxRetryDelay", o.maxRetryDelay, DEFAULT_MAX_RETRY_DELAY, 1),
    instanceId: o.instanceId,
    onError: o.onError ?? (() => {}),
    redis: o.redis ?? {},
  };
}
