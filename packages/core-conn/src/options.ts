import { type ErrorKind, TaurusError } from "./errors";

/**
 * Default bound of a connection's send queue, in messages: the Go original's
 * default.
 */
export const DEFAULT_SEND_QUEUE_SIZE = 1024;
/** Default bound of a connection's send queue, in bytes (16 MiB). */
export const DEFAULT_SEND_QUEUE_BYTES = 16 * 1024 * 1024;
/** Default idle timeout in milliseconds (30 minutes), the Go original's default. */
export const DEFAULT_IDLE_TIMEOUT = 30 * 60 * 1000;
/** Default socket high-water mark: queued frames are handed to the socket while its buffer holds less (64 KiB). */
export const DEFAULT_WRITE_HIGH_WATER_MARK = 64 * 1024;

/** Options of a {@link Connection}. Every field is optional. */
export interface ConnectionOptions {
  /**
   * Largest frame accepted or sent, in bytes. Cannot exceed the protocol's own
   * `maxMessageSize`, which is also the default.
   */
  maxMessageSize?: number;
  /**
   * Most messages waiting in the send queue; a `send` past it throws
   * `SEND_QUEUE_FULL`.
   * @defaultValue {@link DEFAULT_SEND_QUEUE_SIZE} (1024)
   */
  sendQueueSize?: number;
  /**
   * Most bytes waiting in the send queue; a `send` past it throws
   * `SEND_QUEUE_FULL`.
   * @defaultValue {@link DEFAULT_SEND_QUEUE_BYTES} (16 MiB)
   */
  sendQueueBytes?: number;
  /**
   * Milliseconds without a whole message received or sent after which the
   * connection is closed with `IDLE_TIMEOUT`. Bytes alone do not count, so a
   * peer that drips a frame byte by byte, or sends only garbage, is idle.
   * `0` disables it.
   * @defaultValue {@link DEFAULT_IDLE_TIMEOUT} (30 minutes)
   */
  idleTimeout?: number;
  /**
   * Milliseconds the peer has to send its first byte before the connection is
   * closed with `HANDSHAKE_TIMEOUT`. `0` disables it.
   * @defaultValue `0` (disabled)
   */
  firstByteTimeout?: number;
  /**
   * Frames are handed to the socket while its buffer holds fewer bytes than this.
   * @defaultValue {@link DEFAULT_WRITE_HIGH_WATER_MARK} (64 KiB)
   */
  writeHighWaterMark?: number;
  /**
   * What a full send queue does: `"reject"` throws `SEND_QUEUE_FULL` from
   * `send` and keeps the connection; `"disconnect"` also closes the connection
   * with that error (a slow consumer is cut off).
   * @defaultValue `"reject"`
   */
  slowConsumerPolicy?: SlowConsumerPolicy;
  /**
   * The connection's id.
   * @defaultValue a process-unique id: a random per-process prefix and a counter (`"3fa9c1-1"`, `"3fa9c1-2"`...)
   */
  id?: string;
  /** Receives counts as they happen, for aggregate metrics (a server's, say). */
  metrics?: ConnectionMetricsSink;
}

/**
 * What a {@link Connection} reports to aggregate metrics. `ServerMetrics` of
 * `@taurus/metrics` implements it.
 */
export interface ConnectionMetricsSink {
  /** One message of `bytes` bytes was decoded. */
  messageReceived(bytes: number): void;
  /**
   * `messages` messages totalling `bytes` bytes were handed to the socket
   * (they left the send queue).
   */
  messagesSent(messages: number, bytes: number): void;
  /**
   * Messages entered the send queue (`count` > 0), or left it without being
   * sent when the connection closed (`count` < 0). With `messagesSent`, this
   * keeps a send-queue depth across connections. Optional.
   */
  queueDepthChanged?(count: number): void;
  /** An error of the given kind and code happened. */
  error(kind: ErrorKind, code: string): void;
}

/** What a full send queue does; see {@link ConnectionOptions.slowConsumerPolicy}. */
export type SlowConsumerPolicy = "reject" | "disconnect";

/** @internal Options with every default applied. */
export interface ResolvedConnectionOptions {
  maxMessageSize: number;
  sendQueueSize: number;
  sendQueueBytes: number;
  idleTimeout: number;
  firstByteTimeout: number;
  writeHighWaterMark: number;
  slowConsumerPolicy: SlowConsumerPolicy;
  id: string | undefined;
  metrics: ConnectionMetricsSink | undefined;
}

/**
 * Checks that `value`, if given, is an integer in `[min, max]`.
 *
 * @param name - the option's name, used in the error
 * @param value - the option's value
 * @param fallback - returned when `value` is `undefined`
 * @param min - smallest accepted value
 * @param max - largest accepted value (default: `Number.MAX_SAFE_INTEGER`)
 * @returns `value`, or `fallback` when `value` is `undefined`
 * @throws {@link TaurusError} `INVALID_OPTION` naming the option
 */
export function integerOption(
  name: string,
  value: number | undefined,
  fallback: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new TaurusError(
      "INVALID_OPTION",
      `option ${name} must be an integer from ${min} to ${max}, got ${String(value)}`,
    );
  }
  return value;
}

/** @internal */
export function resolveConnectionOptions(
  options: ConnectionOptions,
  protocolMax: number,
): ResolvedConnectionOptions {
  return {
    maxMessageSize: integerOption(
      "maxMessageSize",
      options.maxMessageSize,
      protocolMax,
      1,
      protocolMax,
    ),
    sendQueueSize: integerOption(
      "sendQueueSize",
      options.sendQueueSize,
      DEFAULT_SEND_QUEUE_SIZE,
      1,
    ),
    sendQueueBytes: integerOption(
      "sendQueueBytes",
      options.sendQueueBytes,
      DEFAULT_SEND_QUEUE_BYTES,
      1,
    ),
    idleTimeout: integerOption(
      "idleTimeout",
      options.idleTimeout,
      DEFAULT_IDLE_TIMEOUT,
      0,
      2 ** 31 - 1,
    ),
    firstByteTimeout: integerOption(
      "firstByteTimeout",
      options.firstByteTimeout,
      0,
      0,
      2 ** 31 - 1,
    ),
    writeHighWaterMark: integerOption(
      "writeHighWaterMark",
      options.writeHighWaterMark,
      DEFAULT_WRITE_HIGH_WATER_MARK,
      1,
    ),
    slowConsumerPolicy: oneOf("slowConsumerPolicy", options.slowConsumerPolicy, [
      "reject",
      "disconnect",
    ] as const),
    id: options.id,
    metrics: options.metrics,
  };
}

/**
 * Checks that `value`, if given, is one of `allowed`.
 *
 * @param name - the option's name, used in the error
 * @param value - the option's value
 * @param allowed - the accepted values; the first is the default
 * @returns `value`, or `allowed[0]` when `value` is `undefined`
 * @throws {@link TaurusError} `INVALID_OPTION` naming the option
 */
export function oneOf<const T extends readonly string[]>(
  name: string,
  value: string | undefined,
  allowed: T,
): T[number] {
  if (value === undefined) return allowed[0] as T[number];
  if (!allowed.includes(value)) {
    throw new TaurusError(
      "INVALID_OPTION",
      `option ${name} must be one of ${allowed.join(", ")}, got ${value}`,
    );
  }
  return value as T[number];
}
