/**
 * The connection core of Taurus: the {@link Protocol} contract that wire
 * protocols implement, the {@link Connection} shared by server and client, and
 * the {@link TaurusError} every package raises.
 *
 * @module
 */

export { Connection } from "./connection";
export type { ConnectionEvents, ConnectionSocket, ConnectionState } from "./connection-types";
export { copyBytes } from "./copy-bytes";
export { decoderFor } from "./decoder-for";
export type {
  ConnectionCloseMessage,
  ConnectionOpenMessage,
  FrameDroppedMessage,
} from "./diagnostics";
export { CONNECTION_CHANNELS } from "./diagnostics";
export type { ErrorCode, ErrorKind, TaurusErrorOptions } from "./errors";
export { ErrorCodes, isTaurusError, TaurusError } from "./errors";
export { closeWithFarewell, DEFAULT_FAREWELL_GRACE, MAX_LINGERING } from "./farewell";
export { resyncToMagic } from "./magic";
export { DEFAULT_MEMORY_BUDGET, MemoryBudget } from "./memory-budget";
export type {
  ConnectionMetricsSink,
  ConnectionOptions,
  FarewellHook,
  InboundLimiter,
  SlowConsumerPolicy,
} from "./options";
export {
  DEFAULT_FRAME_TIMEOUT,
  DEFAULT_IDLE_TIMEOUT,
  DEFAULT_SEND_QUEUE_BYTES,
  DEFAULT_SEND_QUEUE_SIZE,
  DEFAULT_WRITE_HIGH_WATER_MARK,
  DEFAULT_WRITE_TIMEOUT,
} from "./options";
export type {
  DecodedMessage,
  DecodeResult,
  Decoder,
  DecoderOptions,
  Drop,
  DropReason,
  Fatal,
  Keepalive,
  NeedMore,
  Protocol,
} from "./protocol";
export { dropReasonCode, NEED_MORE } from "./protocol";
export type {
  Control,
  ControlFrame,
  ControlKind,
  ControlPayload,
} from "./session/control";
export {
  asControlPayload,
  CONTROL_KIND,
  CONTROL_TYPE,
  parseControlPayload,
} from "./session/control";
export type { SessionInfo, SessionLostInfo, SessionLostReason } from "./session/events";
export type { SessionLink } from "./session/link";
export { Inbox, Outbox } from "./session/outbox";
export type { SharedConnectionOptions } from "./shared-options";
export { MAX_TIMER } from "./shared-options";
export type { ConnectionStats } from "./stats";
