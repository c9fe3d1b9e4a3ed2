import type { ErrorCode } from "./errors";
import type { Control } from "./session/control";

/**
 * Why a protocol asked the connection to drop bytes (or to close, see
 * {@link Fatal}). Each reason maps to the error code of the same meaning (see
 * {@link dropReasonCode}).
 *
 * - `invalid_format`: bytes that are not the start of a frame (garbage before a
 *   magic), or a frame whose fields break the format's rules;
 * - `checksum`: a frame whose checksum does not match;
 * - `too_large`: a frame larger than the limit in force;
 * - `malformed_body`: a complete frame whose body cannot be parsed.
 */
export type DropReason = "invalid_format" | "checksum" | "too_large" | "malformed_body";

/** A complete message was decoded from the first `consumed` bytes. */
export interface DecodedMessage<M> {
  /** Always `"message"`. */
  readonly kind: "message";
  /**
   * The decoded message. It must own its bytes: the buffer it was decoded from
   * is overwritten once `decode` returns (copy with {@link copyBytes}).
   */
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
 * The first `consumed` bytes must be dropped, for `reason`; the connection
 * stays open and reports the drop (its `drop` event).
 *
 * `consumed` is at least 1. It may be larger than the bytes available: a frame
 * that announces a length over the limit is dropped whole, and the connection
 * discards the rest of it as it streams in, never holding it and never showing
 * it to the decoder.
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
  /**
   * `true` when these bytes continue the previous drop, such as the rest of an
   * over-long line that a delimited format skips up to its next delimiter: they
   * are discarded without a second `drop` event or count.
   *
   * @defaultValue `false`
   */
  readonly continues?: boolean;
}

/**
 * The stream cannot go on: the connection stops delivering at once (messages
 * still buffered are not delivered) and closes with a {@link TaurusError} of
 * the code that `reason` maps to (see {@link dropReasonCode}).
 *
 * Return it when the decoder cannot find the next frame, such as a
 * length-prefixed format without a magic whose header is provably wrong, or a
 * handshake or version it cannot speak. Nothing is consumed.
 */
export interface Fatal {
  /** Always `"fatal"`. */
  readonly kind: "fatal";
  /** Why the stream cannot go on; the close error's code is `dropReasonCode(reason)`. */
  readonly reason: DropReason;
  /** Optional detail for the error message. */
  readonly detail?: string;
}

/** What one call of a decoder found. */
export type DecodeResult<M> = DecodedMessage<M> | NeedMore | Drop | Fatal;

/** The one shared "need more bytes" result; protocols may return it to avoid an allocation. */
export const NEED_MORE: NeedMore = Object.freeze({ kind: "need_more" });

/** What {@link Protocol.createDecoder} is told about the connection it decodes for. */
export interface DecoderOptions {
  /**
   * The limit in force on this connection, at most the protocol's own
   * `maxMessageSize`: a frame larger than this is dropped as `too_large` (or
   * is fatal), never delivered, and is recognised before it is buffered whole.
   */
  readonly maxMessageSize: number;
}

/**
 * The decoder of one connection, made by {@link Protocol.createDecoder}. It
 * may keep state between calls (where a scan stopped, whether it is skipping
 * an over-long line), because it serves one byte stream only.
 *
 * How it is called, by the connection's frame reader:
 * - each call gets the unconsumed bytes `buffer[start, end)`, `end > start`;
 * - after a message or a drop, the next call starts right after the bytes it
 *   consumed (a drop larger than the buffered bytes hides the rest of the
 *   dropped frame: the decoder never sees it);
 * - after "need more", the next call gets the same unconsumed bytes again,
 *   followed by new ones, but possibly at another `start` in another buffer:
 *   keep positions relative to `start` (for example "scanned up to `start + n`")
 *   and resume from there, never rescanning;
 * - the bytes of `buffer` may be overwritten once `decode` returns: a message
 *   must not keep views into it (use {@link copyBytes});
 * - after a {@link Fatal} result, the decoder is not called again.
 *
 * @typeParam M - the message type of the protocol
 */
export interface Decoder<M> {
  /**
   * Decodes the first frame of `buffer[start, end)`. Never throws.
   *
   * @param buffer - the buffered bytes; only `[start, end)` is valid
   * @param start - the index of the first unconsumed byte
   * @param end - one past the last buffered byte (`end > start`)
   * @returns a message and its length, "need more", a drop with its reason, or a fatal error
   */
  decode(buffer: Buffer, start: number, end: number): DecodeResult<M>;
}

/**
 * The contract a wire protocol implements (contract v2). A protocol knows only
 * its bytes: the {@link Connection} owns buffering, counting and delivery.
 *
 * Decoding: implement {@link Protocol.createDecoder}, which gives each
 * connection its own {@link Decoder}. The contract v1 shape, a stateless
 * {@link Protocol.decode} shared by every connection, keeps working unchanged;
 * when both are present, connections use `createDecoder`.
 *
 * Encoding: {@link Protocol.encode} returns a fresh frame; a protocol may also
 * implement {@link Protocol.encodedLength} and {@link Protocol.encodeInto}
 * (both or neither), and `Connection.send` then writes the frame straight into
 * its outgoing batch, without an intermediate buffer.
 *
 * Rules, checked by the conformance suite in `@taurus/core-conn/testing`:
 * - decoding never throws on any input and never consumes on "need more";
 * - decoding always makes progress: a message or a drop consumes at least 1 byte;
 * - a decoded message keeps no view into the buffer it was decoded from;
 * - no frame larger than the limit in force is ever delivered, and a frame is
 *   recognised as too large before the limit is buffered (from its header, or
 *   for a delimited format when the limit passes without a delimiter), and then
 *   skipped whole, so the bytes after it are decoded as the next frame;
 * - when no frame can start in the buffered bytes, decoding drops all but the
 *   bytes that could still begin one (for a 2-byte magic: all but the last byte),
 *   so garbage never accumulates;
 * - `encode` (and `encodedLength`) throws a `TaurusError` (`INVALID_MESSAGE` or
 *   `MESSAGE_TOO_LARGE`) for a message it cannot put on the wire, and otherwise
 *   returns bytes that decode back to an equal message; `encodeInto` writes
 *   exactly those bytes.
 *
 * @typeParam M - the message type of this protocol
 */
export interface Protocol<M> {
  /** A short name for logs and metrics, such as `"json"` or `"binary"`. */
  readonly name: string;
  /** The largest whole frame, header included, this protocol accepts or produces, in bytes. */
  readonly maxMessageSize: number;
  /**
   * Encodes one message to the bytes of one frame, in a buffer of its own
   * (a broadcast encodes once and writes these bytes to many connections).
   *
   * @throws {@link TaurusError} `INVALID_MESSAGE` for a message the format cannot hold,
   * `MESSAGE_TOO_LARGE` for a frame over `maxMessageSize`.
   */
  encode(message: M): Uint8Array;
  /**
   * Optional, with {@link Protocol.encodeInto}: the exact length of the frame
   * `encode(message)` would return. It validates the message as `encode`
   * does; it may keep work for the `encodeInto` call that follows at once for
   * the same message (such as the serialised body).
   *
   * @throws {@link TaurusError} as {@link Protocol.encode}
   */
  encodedLength?(message: M): number;
  /**
   * Optional, with {@link Protocol.encodedLength}: writes the frame of
   * `message` into `target` at `offset`, exactly the bytes `encode` would
   * return, and nothing outside them.
   *
   * @param target - where to write; it holds at least `encodedLength(message)` bytes from `offset`
   * @param offset - the index of the frame's first byte in `target`
   * @returns the number of bytes written, equal to `encodedLength(message)`
   * @throws {@link TaurusError} as {@link Protocol.encode}
   */
  encodeInto?(message: M, target: Buffer, offset: number): number;
  /**
   * Contract v2: creates the decoder of one connection. Called once per
   * connection; a protocol whose decoding keeps no state may return one shared
   * decoder per limit.
   *
   * @param options - the limit in force on that connection
   * @returns a decoder for that connection's byte stream
   */
  createDecoder?(options: DecoderOptions): Decoder<M>;
  /**
   * Contract v1, still supported: decodes the first frame of
   * `buffer[start, end)` without any state between calls (one function shared
   * by every connection). New protocols implement
   * {@link Protocol.createDecoder} instead: a stateless decoder cannot skip
   * an over-long delimited frame through its delimiter, and rescans from
   * `start` on every call.
   *
   * @param buffer - the buffered bytes; only `[start, end)` is valid, and the
   *   bytes may be overwritten once `decode` returns: copy what a message keeps
   * @param start - the index of the first unconsumed byte
   * @param end - one past the last buffered byte (`end > start`)
   * @param maxMessageSize - the limit in force for this call, at most
   *   {@link Protocol.maxMessageSize}: a connection may impose a lower limit
   *   than the protocol's own. Frames larger than this are dropped as `too_large`.
   * @returns a message and its length, "need more", a drop with its reason, or a fatal error
   */
  decode?(buffer: Buffer, start: number, end: number, maxMessageSize: number): DecodeResult<M>;
  /**
   * Optional liveness messages of the format. A `Connection` that decodes
   * a ping answers it with a pong; neither is delivered as a message, and both
   * count as inbound progress for the idle timeout. `@taurus/client` sends a
   * ping periodically by default when the protocol has them, so a client that
   * only receives stays within a server's first-byte and idle deadlines.
   * @defaultValue none: the protocol has no keepalive
   */
  readonly keepalive?: Keepalive<M>;
  /**
   * Optional control frames of the format (keepalive and sessions, in the
   * reserved control space: see `CONTROL_TYPE`). A `Connection` hands the
   * control frames other than pings and pongs to its attached session and
   * never delivers them as messages. Without it, a protocol cannot carry
   * sessions (asking a client for one throws `INVALID_OPTION`).
   * @defaultValue none: the protocol has no control frames
   */
  readonly control?: Control<M>;
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
 * The error code that reports a drop (or a fatal result) of the given reason.
 *
 * @param reason - a {@link DropReason}
 * @returns `INVALID_FORMAT`, `CHECKSUM`, `MESSAGE_TOO_LARGE` or `MALFORMED_BODY`
 */
export function dropReasonCode(reason: DropReason): (typeof DROP_CODES)[DropReason] {
  return DROP_CODES[reason];
}
