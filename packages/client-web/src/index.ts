/**
 * The Taurus client for the browser: the server's protocol over WebSocket
 * (`@taurus/transport-ws`), with reconnection, an offline queue, heartbeats
 * and request/reply. Its bundle imports no Node built-in.
 *
 * @module
 */

export type { ReconnectInfo, WebClientEvents, WebClientState } from "./client";
export { createWebClient, WebClient } from "./client";
export { Emitter } from "./emitter";
export type {
  Correlation,
  WebClientOptions,
  WebSocketConstructor,
  WebSocketLike,
} from "./options";
export {
  DEFAULT_HEARTBEAT_INTERVAL,
  DEFAULT_MAX_MESSAGE_SIZE,
  DEFAULT_MAX_PENDING_REQUESTS,
  DEFAULT_MAX_RETRY_DELAY,
  DEFAULT_OFFLINE_QUEUE_SIZE,
  DEFAULT_REQUEST_TIMEOUT,
  DEFAULT_RETRY_DELAY,
} from "./options";
