import type { Connection } from "./connection";
import { type ErrorKind, TaurusError } from "./errors";
import type { MemoryBudget } from "./memory-budget";
import type { Protocol } from "./protocol";
import {
  integerOption,
  MAX_TIMER,
  resolveSharedOptions,
  type SharedConnectionOptions,
} from "./shared-options";
import { type SweeperLike, sweeper } from "./sweeper";

export { integerOption };

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
/**
 * Default frame-completion deadline of `@taurus/server` (10 s): a frame whose
 * first byte arrived must be complete within it, so a peer needs at least
 * 6.4 KiB/s to send a 64 KiB frame. A bare {@link Connection} has none unless given.
 */
export const DEFAULT_FRAME_TIMEOUT = 10_000;
/**
 * Default write deadline of `@taurus/server` (5 s): a peer whose socket stays
 * over the write high-water mark longer than this is closed with
 * `SLOW_CONSUMER`. A bare {@link Connection} has none unless given.
 */
export const DEFAULT_WRITE_TIMEOUT = 5_000;

/**
 * Options of a {@link Connection}. Every field is optional. The options that
 * a server and a client configure too (`maxMessageSize`, `sendQueueSize`,
 * `sendQueueBytes`, `idleTimeout`, `handshakeTimeout`) are those of
 * {@link SharedConnectionOptions}, with the same checks everywhere.
 */
export interface ConnectionOptions extends SharedConnectionOptions {
  /**
   * Milliseconds a frame may take to arrive once its first byte has: past it,
   * the connection is closed with `FRAME_TIMEOUT` (a peer dripping a frame,
   * slowloris). Time spent paused by this side does not count. `0` disables it.
   * @defaultValue `0` (disabled); `@taurus/server` applies {@link DEFAULT_FRAME_TIMEOUT} (10 s)
   */
  frameTimeout?: number;
  /**
   * Milliseconds the socket may stay over `writeHighWaterMark` (the peer not
   * reading what is written) before the connection is closed with
   * `SLOW_CONSUMER`. `0` disables it.
   * @defaultValue `0` (disabled); `@taurus/server` applies {@link DEFAULT_WRITE_TIMEOUT} (5 s)
   */
  writeTimeout?: number;
  /**
   * @deprecated Renamed `handshakeTimeout`; `firstByteTimeout` will be removed.
   * @defaultValue `0` (disabled)
   * @throws {@link TaurusError} `INVALID_OPTION` (from the constructor) when
   *   given with `handshakeTimeout` and the two differ
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
   * `true`: when the send queue passes half of its bounds (a `send` returned
   * `false`), stop delivering and reading until it drains, so a peer that
   * pipelines requests never gets `SEND_QUEUE_FULL` for its own replies while
   * its socket is writable. Only a sender that reads can be held this way:
   * meant for the serving side (two sides that both stop reading would wait
   * for each other).
   * @defaultValue `false`; `@taurus/server` sets it
   */
  pauseOnFullQueue?: boolean;
  /**
   * Consulted before each frame is decoded: while it asks to wait, bytes stay
   * buffered undecoded, reading stops, and TCP pushes back on the peer.
   * @defaultValue none: frames are decoded as they arrive
   */
  inboundLimiter?: InboundLimiter;
  /**
   * Bytes held for this connection (partial inbound frames, the send queue,
   * the socket's write buffer) are accounted in this budget; over it, the
   * connection holding the most is closed with `MEMORY_BUDGET`.
   * @defaultValue none: the connection's bytes are not accounted
   */
  memoryBudget?: MemoryBudget;
  /**
   * Makes the frame written to the peer, before the socket ends, when the
   * connection is closed with an error (a timeout, a limit): the peer learns
   * why. `undefined` closes without a word. It must not throw.
   * @defaultValue none: closes without a word
   */
  farewell?: FarewellHook;
  /**
   * The connection's id.
   * @defaultValue a process-unique id: a random per-process prefix and a counter (`"3fa9c1-1"`, `"3fa9c1-2"`...)
   */
  id?: string;
  /** Receives counts as they happen, for aggregate metrics (a server's, say). */
  metrics?: ConnectionMetricsSink;
  /**
   * Visits the connection's deadlines instead of the process's own sweeper (a
   * server sweeps its connections itself: no entry per connection).
   * @internal
   */
  sweeper?: SweeperLike;
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

/**
 * Makes the frame a connection closed by `error` writes before the end (see
 * {@link ConnectionOptions.farewell}).
 *
 * @param error - why the connection is closed
 * @param connection - the connection being closed
 * @returns one encoded frame of the connection's protocol, or `undefined` for none
 */
export type FarewellHook = (
  error: TaurusError,
  connection: Connection<unknown>,
) => Uint8Array | undefined;

/**
 * Meters inbound frames for a connection (see
 * {@link ConnectionOptions.inboundLimiter}), typically with token buckets of
 * messages and bytes per second, per connection and per peer address.
 */
export interface InboundLimiter {
  /**
   * Milliseconds to wait before the next frame may be decoded; `0` to go
   * ahead. Takes nothing.
   */
  delay(): number;
  /**
   * Charges what was just decoded: one frame (a message or a drop) of `bytes` bytes.
   *
   * @param bytes - the bytes the frame held
   */
  charge(bytes: number): void;
}

/** What a full send queue does; see {@link ConnectionOptions.slowConsumerPolicy}. */
export type SlowConsumerPolicy = "reject" | "disconnect";

/**
 * @internal Options with every default applied: the part that connections
 * created alike share (the per-connection `inboundLimiter` and `id` are not in it).
 */
export interface ResolvedConnectionOptions {
  maxMessageSize: number;
  sendQueueSize: number;
  sendQueueBytes: number;
  idleTimeout: number;
  handshakeTimeout: number;
  frameTimeout: number;
  writeTimeout: number;
  writeHighWaterMark: number;
  slowConsumerPolicy: SlowConsumerPolicy;
  pauseOnFullQueue: boolean;
  memoryBudget: MemoryBudget | undefined;
  farewell: FarewellHook | undefined;
  metrics: ConnectionMetricsSink | undefined;
  /** Where the connection's deadlines are visited. */
  sweeper: SweeperLike;
}

/** The last options resolved, and what they were resolved from: reused while they match. */
let last:
  | { from: ConnectionOptions; protocol: Protocol<unknown>; resolved: ConnectionSettings }
  | undefined;

/**
 * Resolved options with the protocol they were resolved for: what a connection
 * reads, shared by the connections a server creates alike. @internal
 */
export interface ConnectionSettings extends ResolvedConnectionOptions {
  readonly protocol: Protocol<unknown>;
}

/** The options that a resolution depends on (all but `inboundLimiter` and `id`). */
const SHARED_KEYS = [
  "maxMessageSize",
  "sendQueueSize",
  "sendQueueBytes",
  "idleTimeout",
  "frameTimeout",
  "writeTimeout",
  "handshakeTimeout",
  "firstByteTimeout",
  "writeHighWaterMark",
  "slowConsumerPolicy",
  "pauseOnFullQueue",
  "memoryBudget",
  "farewell",
  "metrics",
  "sweeper",
] as const satisfies readonly (keyof ConnectionOptions)[];

/**
 * @internal `resolveConnectionOptions` for `protocol`, reusing the last result
 * when the protocol and every option it depends on are the same (by value, or by
 * identity for objects): the connections a server creates alike share one
 * resolved object.
 */
export function sharedConnectionOptions(
  options: ConnectionOptions,
  protocol: Protocol<unknown>,
): ConnectionSettings {
  const prev = last;
  if (prev !== undefined && prev.protocol === protocol) {
    let same = true;
    for (const key of SHARED_KEYS) {
      if (options[key] !== prev.from[key]) {
        same = false;
        break;
      }
    }
    if (same) return prev.resolved;
  }
  const resolved = { ...resolveConnectionOptions(options, protocol.maxMessageSize), protocol };
  const from: ConnectionOptions = {};
  for (const key of SHARED_KEYS) (from as Record<string, unknown>)[key] = options[key];
  last = { from, protocol, resolved: Object.freeze(resolved) };
  return resolved;
}

/** @internal */
export function resolveConnectionOptions(
  options: ConnectionOptions,
  protocolMax: number,
): ResolvedConnectionOptions {
  return {
    ...resolveSharedOptions(
      { ...options, handshakeTimeout: handshakeTimeout(options) },
      {
        maxMessageSize: protocolMax,
        sendQueueSize: DEFAULT_SEND_QUEUE_SIZE,
        sendQueueBytes: DEFAULT_SEND_QUEUE_BYTES,
        idleTimeout: DEFAULT_IDLE_TIMEOUT,
        handshakeTimeout: 0,
      },
      protocolMax,
    ),
    frameTimeout: integerOption("frameTimeout", options.frameTimeout, 0, 0, MAX_TIMER),
    writeTimeout: integerOption("writeTimeout", options.writeTimeout, 0, 0, MAX_TIMER),
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
    pauseOnFullQueue: options.pauseOnFullQueue === true,
    memoryBudget: options.memoryBudget,
    farewell: options.farewell,
    metrics: options.metrics,
    sweeper: options.sweeper ?? sweeper,
  };
}

/** `handshakeTimeout`, or its old name `firstByteTimeout`; both given must agree. */
function handshakeTimeout(options: ConnectionOptions): number {
  const { handshakeTimeout: value, firstByteTimeout: old } = options;
  if (value !== undefined && old !== undefined && value !== old) {
    throw new TaurusError(
      "INVALID_OPTION",
      `option handshakeTimeout disagrees with its old name firstByteTimeout (${String(old)}), got ${String(value)}`,
      { option: "handshakeTimeout" },
    );
  }
  if (value !== undefined) return integerOption("handshakeTimeout", value, 0, 0, MAX_TIMER);
  return integerOption("firstByteTimeout", old, 0, 0, MAX_TIMER);
}

/**
 * Checks that `value`, if given, is one of `allowed`.
 *
 * @param name - the option's name, used in the error
 * @param value - the option's value
 * @param allowed - the accepted values; the first is the default
 * @returns `value`, or `allowed[0]` when `value` is `undefined`
 * @throws `TaurusError` `INVALID_OPTION` naming the option
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
      { option: name },
    );
  }
  return value as T[number];
}
