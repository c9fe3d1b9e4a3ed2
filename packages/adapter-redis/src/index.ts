/**
 * A Redis broadcast adapter for `@taurus/server`: one `broadcast` reaches
 * every server instance, across processes and machines, over Redis pub/sub,
 * sharded pub/sub (Redis Cluster) or capped streams (durable).
 *
 * @module
 */
export type { RedisAdapterMode, RedisAdapterOptions } from "./options";
export {
  DEFAULT_CHANNEL_PREFIX,
  DEFAULT_MAX_LEN,
  DEFAULT_MAX_QUEUED,
  DEFAULT_MAX_RETRY_DELAY,
  DEFAULT_MODE,
  DEFAULT_REDIS_URL,
  DEFAULT_RETRY_DELAY,
  DEFAULT_TICK_INTERVAL,
  MAX_IN_FLIGHT,
} from "./options";
export type {
  BackplaneDownEvent,
  BackplaneLostEvent,
  BackplaneUpEvent,
  RedisAdapterEvents,
  RedisAdapterStats,
} from "./redis-adapter";
export { createRedisAdapter, DEFAULT_READY_TIMEOUT, RedisAdapter } from "./redis-adapter";
export type { RedisSessionStoreOptions } from "./session-store";
export {
  createRedisSessionStore,
  DEFAULT_SESSION_MAX_BYTES,
  DEFAULT_SESSION_MAX_MESSAGES,
  DEFAULT_SESSION_PREFIX,
  DEFAULT_SESSION_TTL,
  RedisSessionStore,
} from "./session-store";
