/**
 * The four kinds of error the Go original distinguishes. Every {@link TaurusError}
 * carries one, so callers can route errors without matching codes one by one.
 */
export type ErrorKind = "connection" | "protocol" | "system" | "buffer";

/**
 * Every error code that Taurus packages raise, with the kind each belongs to.
 * Codes are stable: they are part of the public API and tests assert them.
 * Message texts are not stable and must not be matched.
 */
export const ErrorCodes = {
  /** Bytes before a frame's magic, or a frame field that the format forbids. */
  INVALID_FORMAT: "protocol",
  /** A binary frame whose CRC-32 does not match its contents. */
  CHECKSUM: "protocol",
  /** A frame (or a message to encode) larger than the maximum message size. */
  MESSAGE_TOO_LARGE: "protocol",
  /** A frame whose body could not be parsed (bad JSON, wrong shape). */
  MALFORMED_BODY: "protocol",
  /** A message given to `encode()`/`send()` that cannot be put on the wire. */
  INVALID_MESSAGE: "protocol",
  /**
   * A WebSocket text message: Taurus frames travel only in binary WebSocket
   * messages (`@taurus/transport-ws` closes the connection with code 1003).
   */
  TEXT_MESSAGE: "protocol",
  /** A room name that is empty, too long (`rooms.maxNameLength` bytes) or has control characters. */
  INVALID_ROOM: "protocol",
  /** The send queue is full (message count or byte limit). */
  SEND_QUEUE_FULL: "buffer",
  /**
   * A slow consumer: the peer's socket stayed over its high-water mark (the
   * peer did not read) for longer than the write timeout.
   */
  SLOW_CONSUMER: "buffer",
  /**
   * The server's memory budget for bytes held on behalf of peers was
   * exceeded; the connection holding the most was closed.
   */
  MEMORY_BUDGET: "buffer",
  /** Too many requests are waiting for their replies. */
  TOO_MANY_PENDING: "buffer",
  /** A connection asked to join more rooms than the server's `rooms.maxPerConnection`. */
  ROOM_LIMIT: "buffer",
  /** An operation on a connection that is closing or closed. */
  CONNECTION_CLOSED: "connection",
  /** No traffic for longer than the idle timeout. */
  IDLE_TIMEOUT: "connection",
  /** A peer sent nothing within the first-byte (handshake) timeout. */
  HANDSHAKE_TIMEOUT: "connection",
  /** A frame whose first byte arrived did not complete within the frame timeout (slowloris). */
  FRAME_TIMEOUT: "connection",
  /** The peer did not answer heartbeats within the heartbeat timeout. */
  HEARTBEAT_TIMEOUT: "connection",
  /** A connection attempt did not complete within the connect timeout. */
  CONNECT_TIMEOUT: "connection",
  /** A new connection was refused because a connection limit was reached. */
  CONNECTION_LIMIT: "connection",
  /**
   * A WebSocket handshake whose `Origin` is not allowed (`@taurus/transport-ws`
   * answers 403): by default only a page of the same origin may connect.
   */
  ORIGIN_REFUSED: "connection",
  /** The server's `admit` hook refused the connection (its reason is the error's message). */
  ADMISSION_REFUSED: "connection",
  /** A message was refused because the sender exceeded its rate limit. */
  RATE_LIMITED: "connection",
  /** A request received no reply in time. */
  REQUEST_TIMEOUT: "connection",
  /** An operation was aborted through its `AbortSignal`. */
  ABORTED: "connection",
  /** An invalid option passed to a constructor or factory. */
  INVALID_OPTION: "system",
  /** A user handler threw or rejected. */
  HANDLER_FAILED: "system",
  /** An error raised by the underlying socket or operating system. */
  SOCKET: "system",
  /**
   * The process ran out of file descriptors (`EMFILE`/`ENFILE`) while
   * accepting: the listener keeps its port, the connections the system
   * could not accept are lost, and accepting resumes once descriptors are free.
   */
  FD_EXHAUSTED: "system",
} as const satisfies Record<string, ErrorKind>;

/** A stable error code: a key of {@link ErrorCodes}. */
export type ErrorCode = keyof typeof ErrorCodes;

/** Options accepted by the {@link TaurusError} constructor. */
export interface TaurusErrorOptions {
  /** The error that caused this one, if any. */
  cause?: unknown;
  /** For `INVALID_OPTION`: the option or argument as the user wrote it (`"perAddress.burst"`). */
  option?: string;
}

/**
 * The brand every {@link TaurusError} carries, registered with `Symbol.for` so
 * that two copies of this package (an ESM and a CJS build, or two versions)
 * recognise each other's errors.
 */
const BRAND: unique symbol = Symbol.for("@taurus/core-conn/TaurusError") as never;

/**
 * The one error class of Taurus. Every error a Taurus package throws, rejects
 * with, or reports through an `error` event or `onError` handler is a
 * `TaurusError` with a stable {@link ErrorCode} and its {@link ErrorKind}.
 *
 * Identity survives duplicate copies of `@taurus/core-conn` in one process
 * (an ESM and a CJS build, or two versions): each error carries a
 * `Symbol.for` brand, and both `instanceof TaurusError` and
 * {@link isTaurusError} check the brand rather than the class.
 *
 * @example
 * ```ts
 * try {
 *   conn.send(message);
 * } catch (err) {
 *   if (isTaurusError(err, "SEND_QUEUE_FULL")) slowDown();
 *   else throw err;
 * }
 * ```
 */
export class TaurusError<C extends ErrorCode = ErrorCode> extends Error {
  /** The stable code of this error. */
  readonly code: C;
  /** The kind of error: connection, protocol, system or buffer. */
  readonly kind: (typeof ErrorCodes)[C];
  /**
   * For `INVALID_OPTION`: the name of the offending option or argument, as
   * the user wrote it (`"rate"`, `"perAddress.burst"`), when the thrower set it.
   */
  declare readonly option?: string;

  /**
   * @param code - a stable code from {@link ErrorCodes}
   * @param message - a human-readable description (not stable)
   * @param options - `cause`: the underlying error, if any; `option`: the offending option
   */
  constructor(code: C, message: string, options?: TaurusErrorOptions) {
    super(message, options);
    this.name = "TaurusError";
    this.code = code;
    this.kind = ErrorCodes[code];
    if (options?.option !== undefined) this.option = options.option;
  }

  /** The brand checked by `instanceof` and {@link isTaurusError}, on the prototype (no per-error cost). */
  get [BRAND](): true {
    return true;
  }

  /**
   * `value instanceof TaurusError` is `true` for an error of any copy of
   * `@taurus/core-conn` (checked by its brand). A subclass keeps the usual
   * prototype check.
   *
   * @param value - anything
   * @returns whether `value` is a `TaurusError` (of this class, for a subclass)
   */
  static override [Symbol.hasInstance](value: unknown): value is TaurusError {
    // `this` is the class right of instanceof (naming TaurusError would mean the base class
    // for a subclass too): a subclass keeps the usual prototype check.
    // biome-ignore lint/complexity/noThisInStatic: see above
    if (this !== TaurusError) {
      // biome-ignore lint/complexity/noThisInStatic: see above
      return Function.prototype[Symbol.hasInstance].call(this, value) as boolean;
    }
    return hasBrand(value);
  }
}

function hasBrand(value: unknown): value is TaurusError {
  return (
    typeof value === "object" && value !== null && (value as { [BRAND]?: unknown })[BRAND] === true
  );
}

/**
 * Tells whether `value` is a {@link TaurusError}, optionally with a given code.
 * Errors of another copy of `@taurus/core-conn` (ESM and CJS, or two
 * versions) count: the check reads the error's brand, not its class.
 *
 * @param value - anything, typically a caught error
 * @param code - when given, the code the error must have
 * @returns `true` when `value` is a `TaurusError` (with that code)
 */
export function isTaurusError<C extends ErrorCode>(
  value: unknown,
  code?: C,
): value is TaurusError<C> {
  return hasBrand(value) && (code === undefined || value.code === code);
}
