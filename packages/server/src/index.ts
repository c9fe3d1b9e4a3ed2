/**
 * The Taurus TCP server: connection limits, per-connection rate limits, idle
 * and handshake timeouts, broadcast, graceful shutdown, metrics and TLS.
 *
 * @module
 */
export type { ServerHandler } from "./handler";
export type { PerAddressLimits, RateLimitPolicy, ServerOptions } from "./options";
export {
  DEFAULT_HANDSHAKE_TIMEOUT,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_MESSAGE_SIZE,
  DEFAULT_RATE_LIMIT,
  DEFAULT_SHUTDOWN_TIMEOUT,
} from "./options";
export type { Sequenced } from "./reply";
export { reply } from "./reply";
export type {
  BroadcastOptions,
  BroadcastResult,
  ServerConfig,
  ServerEvents,
  ShutdownReport,
} from "./server";
export { createServer, TaurusServer } from "./server";
