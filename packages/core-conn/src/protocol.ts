import type { ErrorCode } from "./errors";

/**
 * Why a protocol asked the connection to drop bytes. Each reason maps to the
 * error code of the same meaning (see {@link dropReasonCode}).
 *
 * - `invalid_format`: bytes that are not the start of a frame (garbage before a
 *   magic), or a frame whose fields break the format's rules;
 * - `checksum`: a frame whose checksum does not match;
 * - `too_large`: a frame larger than the protocol's `maxMessageSize`;
 * - `malformed_body`: a complete frame whose body cannot be parsed.
 */
export type DropReason = "invalid_format" | "checksum" | "too_large" | "malformed_body";

/** A complete message was decoded from the first `consumed` bytes. */
export interface DecodedMessage<M> {
  /** Always `"message"`. */
  readonly kind: "message";
  /** The decoded message. */
  readonly message: M;
  /** How many bytes, from `start`, the frame used (always at least 1). */
  readonly consumed: number;
}

/** The bytes so far hold no complete frame; nothing was consumed. */
export interface NeedMore {
  /** Always `"need_more"`. */
  readonly kind: "need_more";
}

/**
 * The first `consumed` bytes must be dropped, for `reason`.
 *
 * `consumed` is at least 1. It may be larger than the bytes available: a frame
 * that announces a length over the limit is dropped whole, and the connection
 * discards the rest of it as it streams in, never holding it.
 */
export interface Drop {
  /** Always `"drop"`. */
  readonly kind: "drop";
  /** How many bytes, from `start`, to discard (at least 1). */
  readonly consumed: number;
  /** Why the bytes are dropped. */
  readonly reason: DropReason;
  /** Optional detail for the error message (for example the parser's message). */
  readonly detail?: string;
}

/** What one call of {@link Protocol.decode} found. */
export type DecodeResult<M> = DecodedMessage<M> | NeedMore | Drop;

/** The one shared "need more bytes" result; protocols may return it to avoid an allocation. */
export const NEED_MORE: NeedMore = Object.freeze({ kind: "need_more" });

/**
 * The contract a wire protocol implements. A protocol knows only its bytes:
 * the {@link Connection} owns buffering, counting and delivery.
 *
 * Rules, checked by the conformance suite in `@taurus/core-conn/testing`:
 * - `decode` never throws on any input and never consumes on "need more";
 * - `decode` always makes progress: a message or a drop consumes at least 1 byte;
 * - no frame larger than `maxMessageSize` is ever delivered, and a frame is
 *   recognised as too large from its header alone;
 * - when no frame can start in the buffered bytes, `decode` drops all but the
 *   bytes that could still begin one (for a 2-byte magic: all but the last byte),
 *   so garbage never accumulates;
 * - `encode` throws a `TaurusError` (`INVALID_MESSAGE` or `MESSAGE_TOO_LARGE`)
 *   for a message it cannot put on the wire, and otherwise returns bytes that
 *   `decode` turns back into an equal message.
 *
 * @typeParam M - the message type of this protocol
 */
export interface Protocol<M> {
  /** A short name for logs and metrics, such as `"json"` or `"binary"`. */
  readonly name: string;
  /** The largest whole frame, header included, this protocol accepts or produces, in bytes. */
  readonly maxMessageSize: number;
  /**
   * Encodes one message to the bytes of one frame.
   *
   * @throws {@link TaurusError} `INVALID_MESSAGE` for a message the format cannot hold,
   * `MESSAGE_TOO_LARGE` for a frame over `maxMessageSize`.
   */
  encode(message: M): Uint8Array;
  /**
   * Decodes the first frame of `buffer[start, end)`.
   *
   * @param buffer - the buffered bytes; only `[start, end)` is valid, and the
   *   bytes may be overwritten once `decode` returns: copy what a message keeps
   * @param start - the index of the first unconsumed byte
   * @param end - one past the last buffered byte (`end > start`)
   * @param maxMessageSize - the limit in force for this call, at most
   *   {@link Protocol.maxMessageSize}: a connection may impose a lower limit
   *   than the protocol's own. Frames larger than this are dropped as `too_large`.
   * @returns a message and its length, "need more", or a drop with its reason
   */
  decode(buffer: Buffer, start: number, end: number, maxMessageSize: number): DecodeResult<M>;
  /**
   * Optional liveness messages of the format. A `Connection` that decodes
   * a ping answers it with a pong; neither is delivered as a message, and both
   * count as inbound progress for the idle timeout. `@taurus/client` sends a
   * ping periodically by default when the protocol has them, so a client that
   * only receives stays within a server's first-byte and idle deadlines.
   * @defaultValue none: the protocol has no keepalive
   */
  readonly keepalive?: Keepalive<M>;
}

/**
 * The liveness messages of a protocol (see {@link Protocol.keepalive}): a ping,
 * which the receiving side answers with a pong.
 *
 * @typeParam M - the message type of the protocol
 */
export interface Keepalive<M> {
  /** A ping; the peer's connection answers it with {@link Keepalive.pong}. */
  readonly ping: M;
  /** The answer to a ping. */
  readonly pong: M;
  /**
   * Tells a ping or a pong from an application message. Called once per
   * decoded message: keep it to a field comparison.
   *
   * @returns `"ping"`, `"pong"`, or `undefined` for an application message
   */
  kind(message: M): "ping" | "pong" | undefined;
}

const DROP_CODES = {
  invalid_format: "INVALID_FORMAT",
  checksum: "CHECKSUM",
  too_large: "MESSAGE_TOO_LARGE",
  malformed_body: "MALFORMED_BODY",
} as const satisfies Record<DropReason, ErrorCode>;

/**
 * The error code that reports a drop of the given reason.
 *
 * @param reason - a {@link DropReason}
 * @returns `INVALID_FORMAT`, `CHECKSUM`, `MESSAGE_TOO_LARGE` or `MALFORMED_BODY`
 */
export function dropReasonCode(reason: DropReason): (typeof DROP_CODES)[DropReason] {
  return DROP_CODES[reason];
}
