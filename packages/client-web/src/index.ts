/**
 * The Taurus client for the browser: the server's protocol over WebSocket
 * (`@taurus/transport-ws`), with reconnection, an offline queue, heartbeats,
 * request/reply and resumable sessions. Its bundle imports no Node built-in.
 *
 * @module
 */

export type { SessionInfo, SessionLostInfo, SessionLostReason } from "@taurus/core-conn/codec";
export type {
  ReconnectInfo,
  WebClientCloseReport,
  WebClientEvents,
  WebClientState,
} from "./client";
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
export type { WebSessionOptions } from "./session-options";
export {
  DEFAULT_CLIENT_ACK_EVERY,
  DEFAULT_CLIENT_ACK_INTERVAL,
  DEFAULT_CLIENT_SESSION_BUFFER_BYTES,
  DEFAULT_CLIENT_SESSION_BUFFER_MESSAGES,
  DEFAULT_SESSION_HELLO_TIMEOUT,
} from "./session-options";
