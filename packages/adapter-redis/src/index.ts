/**
 * A Redis pub/sub broadcast adapter for `@taurus/server`: one `broadcast`
 * reaches every server instance, across processes and machines.
 *
 * @module
 */
export type { RedisAdapterOptions } from "./options";
export {
  DEFAULT_CHANNEL_PREFIX,
  DEFAULT_MAX_QUEUED,
  DEFAULT_MAX_RETRY_DELAY,
  DEFAULT_REDIS_URL,
} from "./options";
export type { RedisAdapterStats } from "./redis-adapter";
export { createRedisAdapter, DEFAULT_READY_TIMEOUT, RedisAdapter } from "./redis-adapter";
