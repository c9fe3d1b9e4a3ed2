/**
 * The Taurus TCP server: connection limits, per-connection rate limits, idle
 * and handshake timeouts, broadcast (across instances through a backplane
 * adapter), graceful shutdown, metrics and TLS.
 *
 * @module
 */

export type { CloseOptions, ListenOptions } from "./abort";
export { ACCEPTS_PER_TICK } from "./accept-queue";
export type {
  AdapterStats,
  BackplaneCodec,
  BackplaneListener,
  BackplaneMembership,
  BackplaneOptions,
  BroadcastAdapter,
} from "./adapter";
export { DEFAULT_BACKPLANE_CHANNEL } from "./adapter";
export type { Admission } from "./admission";
export { IDENTITY, identityOf } from "./admission";
export type {
  ServerCloseMessage,
  ServerListeningMessage,
  ServerMessageContext,
  ServerRefusedMessage,
} from "./diagnostics";
export { SERVER_CHANNELS } from "./diagnostics";
export type { ServerHandler } from "./handler";
export { createLocalAdapter } from "./local-adapter";
export type { IncomingMessage, MessageStream, MessageStreamOptions } from "./message-stream";
export { createMessageStream, DEFAULT_STREAM_HIGH_WATER_MARK } from "./message-stream";
export type { RateLimitPolicy, ServerOptions } from "./options";
export {
  DEFAULT_HANDSHAKE_TIMEOUT,
  DEFAULT_INBOUND_BYTES_PER_SECOND,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_MESSAGE_SIZE,
  DEFAULT_RATE_LIMIT,
  DEFAULT_SERVER_SEND_QUEUE_BYTES,
  DEFAULT_SHUTDOWN_TIMEOUT,
} from "./options";
export type { PerAddressLimits } from "./per-address-options";
export {
  DEFAULT_CONNECTIONS_PER_SECOND_PER_ADDRESS,
  DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
  DEFAULT_MESSAGES_PER_SECOND_PER_ADDRESS,
  DEFAULT_TRUSTED_ADDRESSES,
} from "./per-address-options";
export type { Sequenced } from "./reply";
export { reply } from "./reply";
export type {
  RoomBroadcastOptions,
  RoomBroadcastResult,
  RoomHost,
  RoomOptions,
} from "./rooms";
export { DEFAULT_MAX_ROOM_NAME_LENGTH, DEFAULT_MAX_ROOMS_PER_CONNECTION, Rooms } from "./rooms";
export type { SequenceTrackerOptions } from "./sequence-tracker";
export {
  DEFAULT_MAX_TRACKED_PUBLISHERS,
  DEFAULT_PUBLISHER_IDLE_TIMEOUT,
  SequenceTracker,
} from "./sequence-tracker";
export { createServer, TaurusServer } from "./server";
export type { ServerStats } from "./server-stats";
export type {
  BroadcastOptions,
  BroadcastResult,
  DiscardedAtShutdown,
  ServerConfig,
  ServerEvents,
  ShutdownReport,
} from "./server-types";
export type { ServerSessionOptions } from "./session/options";
export {
  DEFAULT_ACK_EVERY,
  DEFAULT_ACK_INTERVAL,
  DEFAULT_HELLO_WAIT,
  DEFAULT_MAX_SESSIONS,
  DEFAULT_MAX_SESSIONS_PER_ADDRESS,
  DEFAULT_RESUME_WINDOW,
  DEFAULT_SESSION_BUFFER_BYTES,
  DEFAULT_SESSION_BUFFER_MESSAGES,
} from "./session/options";
export type { MessageSession } from "./session/session-of";
export { sessionOf } from "./session/session-of";
export type { SessionRecord, SessionStore } from "./session/store";
export { MemorySessionStore } from "./session/store";
