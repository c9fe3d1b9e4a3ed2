/**
 * The connection core of Taurus: the {@link Protocol} contract that wire
 * protocols implement, the {@link Connection} shared by server and client, and
 * the {@link TaurusError} every package raises.
 *
 * @module
 */

export type { ConnectionEvents, ConnectionSocket, ConnectionState } from "./connection";
export { Connection } from "./connection";
export { copyBytes } from "./copy-bytes";
export type { ErrorCode, ErrorKind, TaurusErrorOptions } from "./errors";
export { ErrorCodes, isTaurusError, TaurusError } from "./errors";
export { resyncToMagic } from "./magic";
export type { ConnectionMetricsSink, ConnectionOptions, SlowConsumerPolicy } from "./options";
export {
  DEFAULT_IDLE_TIMEOUT,
  DEFAULT_SEND_QUEUE_BYTES,
  DEFAULT_SEND_QUEUE_SIZE,
  DEFAULT_WRITE_HIGH_WATER_MARK,
  integerOption,
  oneOf,
} from "./options";
export type {
  DecodedMessage,
  DecodeResult,
  Decoder,
  DecoderOptions,
  Drop,
  DropReason,
  Fatal,
  NeedMore,
  Protocol,
} from "./protocol";
export { dropReasonCode, NEED_MORE } from "./protocol";
export type { ConnectionStats } from "./stats";
