/**
 * The Taurus TCP client: automatic reconnection with exponential backoff and
 * jitter, an offline queue, heartbeats, request and reply, async iteration,
 * stats and TLS.
 *
 * @module
 */

export type { ClientCloseOptions, ClientCloseReport, ConnectOptions } from "./abort";
export { createClient, TaurusClient } from "./client";
export type { ClientConfig, ClientEvents, ReconnectingInfo, RequestOptions } from "./client-types";
export type {
  ClientConnectMessage,
  ClientReconnectMessage,
  ClientRequestContext,
} from "./diagnostics";
export { CLIENT_CHANNELS } from "./diagnostics";
export type { ClientHandler } from "./handler";
export type {
  ClientAddress,
  ClientOptions,
  Correlation,
  HeartbeatOptions,
  HostPort,
  SocketFactory,
  SocketFactoryOptions,
} from "./options";
export {
  DEFAULT_CLIENT_IDLE_TIMEOUT,
  DEFAULT_CLOSE_TIMEOUT,
  DEFAULT_CONNECT_TIMEOUT,
  DEFAULT_HEARTBEAT_INTERVAL,
  DEFAULT_ITERATOR_HIGH_WATER_MARK,
  DEFAULT_MAX_MESSAGE_SIZE,
  DEFAULT_MAX_PENDING_REQUESTS,
  DEFAULT_MAX_RETRIES,
  DEFAULT_MAX_RETRY_DELAY,
  DEFAULT_REQUEST_TIMEOUT,
  DEFAULT_RETRY_DELAY,
  DEFAULT_SEND_BUFFER_BYTES,
  DEFAULT_SEND_BUFFER_SIZE,
  sequenceCorrelation,
} from "./options";
export type { ClientSessionOptions } from "./session/options";
export {
  DEFAULT_CLIENT_ACK_EVERY,
  DEFAULT_CLIENT_ACK_INTERVAL,
  DEFAULT_CLIENT_SESSION_BUFFER_BYTES,
  DEFAULT_CLIENT_SESSION_BUFFER_MESSAGES,
  DEFAULT_SESSION_HELLO_TIMEOUT,
} from "./session/options";
export type { ClientState, ClientStats } from "./stats";
