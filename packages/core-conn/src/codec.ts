/**
 * The part of `@taurus/core-conn` a wire protocol needs to encode and
 * decode, and the counting half of sessions (`Outbox`, `Inbox`, the session
 * event types), and nothing else: it imports no Node built-in, so a protocol
 * built on it, and `@taurus/client-web`, run in a browser. The same exports
 * are also in the main entry, except the byte helpers and the client's half of
 * the session protocol (internal: shared by `@taurus/client` and
 * `@taurus/client-web`, not for applications).
 *
 * @module
 */

export { allocBytes, utf8Length, utf8Read, utf8Write, writeU32 } from "./bytes";
export { copyBytes } from "./copy-bytes";
export { decoderFor } from "./decoder-for";
export type { ErrorCode, ErrorKind, TaurusErrorOptions } from "./errors";
export { ErrorCodes, isTaurusError, TaurusError } from "./errors";
export { resyncToMagic } from "./magic";
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
export type { ClientSessionHost, ClientSessionSettings } from "./session/client-half";
export { ClientSessionCore } from "./session/client-half";
export { resolveClientSessionSettings } from "./session/client-options";
export type { Control, ControlFrame, ControlKind, ControlPayload } from "./session/control";
export {
  asControlPayload,
  CONTROL_KIND,
  CONTROL_TYPE,
  parseControlPayload,
} from "./session/control";
export type { SessionInfo, SessionLostInfo, SessionLostReason } from "./session/events";
export { Inbox, Outbox } from "./session/outbox";
