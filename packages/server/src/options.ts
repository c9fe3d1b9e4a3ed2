import type { TlsOptions } from "node:tls";
import {
  DEFAULT_IDLE_TIMEOUT,
  DEFAULT_SEND_QUEUE_BYTES,
  DEFAULT_SEND_QUEUE_SIZE,
  integerOption,
  oneOf,
  type SlowConsumerPolicy,
  TaurusError,
} from "@taurus/core-conn";

/** Default most concurrent connections (the Go original's default). */
export const DEFAULT_MAX_CONNECTIONS = 1000;
/** Default largest frame accepted or sent per connection: 1 MiB (the Go original's default). */
export const DEFAULT_MAX_MESSAGE_SIZE = 1024 * 1024;
/** Default messages per second per connection (the Go original's default), with a burst of the same size. */
export const DEFAULT_RATE_LIMIT = 100;
/** Default milliseconds a new connection has to send its first byte (10 s). */
export const DEFAULT_HANDSHAKE_TIMEOUT = 10_000;
/** Default milliseconds `close()` waits for connections to finish before destroying them (10 s). */
export const DEFAULT_SHUTDOWN_TIMEOUT = 10_000;

/**
 * What happens to a message over the connection's rate limit:
 * - `"pause"`: stop reading the connection until a token is due, then handle
 *   it (TCP pushes back on the peer; nothing is dropped);
 * - `"drop"`: drop the message and count a `RATE_LIMITED` error;
 * - `"close"`: close the connection with `RATE_LIMITED`.
 */
export type RateLimitPolicy = "pause" | "drop" | "close";

/** Per-remote-address limits on new connections, for protection against floods. Off unless given. */
export interface PerAddressLimits {
  /** New connections per second per IP address. @defaultValue unlimited */
  ratePerSecond?: number;
  /** Burst of new connections per IP address. @defaultValue `ratePerSecond` */
  burst?: number;
  /** Concurrent connections per IP address. @defaultValue unlimited */
  maxConcurrent?: number;
}

/** Options of {@link createServer}, besides the protocol and the handler. Every field is optional. */
export interface ServerOptions {
  /**
   * Most concurrent connections; a connection past it is closed at once and
   * counted as refused.
   * @defaultValue {@link DEFAULT_MAX_CONNECTIONS} (1000)
   */
  maxConnections?: number;
  /**
   * Most messages in each connection's send queue.
   * @defaultValue `DEFAULT_SEND_QUEUE_SIZE` of `@taurus/core-conn` (1024)
   */
  sendQueueSize?: number;
  /**
   * Most bytes in each connection's send queue.
   * @defaultValue `DEFAULT_SEND_QUEUE_BYTES` of `@taurus/core-conn` (16 MiB)
   */
  sendQueueBytes?: number;
  /**
   * Largest frame accepted or sent, in bytes; at most the protocol's own limit.
   * @defaultValue {@link DEFAULT_MAX_MESSAGE_SIZE} (1 MiB), or the protocol's limit when lower
   */
  maxMessageSize?: number;
  /**
   * Milliseconds without a whole message received or sent before a
   * connection is closed (bytes that never make a message do not count);
   * `0` disables.
   * @defaultValue `DEFAULT_IDLE_TIMEOUT` of `@taurus/core-conn` (30 minutes)
   */
  idleTimeout?: number;
  /**
   * Milliseconds a new connection has to send its first byte (or, with TLS,
   * to finish its handshake and send it); `0` disables.
   * @defaultValue {@link DEFAULT_HANDSHAKE_TIMEOUT} (10 s)
   */
  handshakeTimeout?: number;
  /**
   * Messages per second per connection; `Infinity` disables the limit.
   * @defaultValue {@link DEFAULT_RATE_LIMIT} (100)
   */
  rateLimit?: number;
  /**
   * Burst of the per-connection rate limit.
   * @defaultValue `rateLimit` (Go's `rate.NewLimiter(r, r)`)
   */
  rateLimitBurst?: number;
  /**
   * What a message over the rate limit does.
   * @defaultValue `"pause"`
   */
  rateLimitPolicy?: RateLimitPolicy;
  /**
   * What a full send queue does: `"reject"` throws `SEND_QUEUE_FULL` from
   * `send`; `"disconnect"` also closes that connection.
   * @defaultValue `"reject"`
   */
  slowConsumerPolicy?: SlowConsumerPolicy;
  /**
   * Milliseconds `close()` waits for handlers and send queues before it
   * destroys what is left.
   * @defaultValue {@link DEFAULT_SHUTDOWN_TIMEOUT} (10 s)
   */
  shutdownTimeout?: number;
  /** Per-remote-address connection limits. @defaultValue off */
  perAddress?: PerAddressLimits;
  /**
   * Serve over TLS with these `node:tls` options (`key`, `cert`, `ca`,
   * `requestCert`...). @defaultValue plain TCP
   */
  tls?: TlsOptions;
}

/** @internal */
export interface ResolvedServerOptions {
  maxConnections: number;
  sendQueueSize: number;
  sendQueueBytes: number;
  maxMessageSize: number;
  idleTimeout: number;
  handshakeTimeout: number;
  rateLimit: number;
  rateLimitBurst: number;
  rateLimitPolicy: RateLimitPolicy;
  slowConsumerPolicy: SlowConsumerPolicy;
  shutdownTimeout: number;
  perAddress: PerAddressLimits | undefined;
  tls: TlsOptions | undefined;
}

const MAX_TIMER = 2 ** 31 - 1;

function rateOption(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !(value > 0)) {
    throw new TaurusError(
      "INVALID_OPTION",
      `option ${name} must be a positive number or Infinity, got ${String(value)}`,
    );
  }
  return value;
}

/** @internal Applies defaults and validates; never mutates `options`. */
export function resolveServerOptions(
  options: ServerOptions,
  protocolMax: number,
): ResolvedServerOptions {
  const rateLimit = rateOption("rateLimit", options.rateLimit, DEFAULT_RATE_LIMIT);
  const defaultBurst = Number.isFinite(rateLimit) ? Math.max(1, Math.ceil(rateLimit)) : 1;
  return {
    maxConnections: integerOption(
      "maxConnections",
      options.maxConnections,
      DEFAULT_MAX_CONNECTIONS,
      1,
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
    maxMessageSize: integerOption(
      "maxMessageSize",
      options.maxMessageSize,
      Math.min(DEFAULT_MAX_MESSAGE_SIZE, protocolMax),
      1,
      protocolMax,
    ),
    idleTimeout: integerOption(
      "idleTimeout",
      options.idleTimeout,
      DEFAULT_IDLE_TIMEOUT,
      0,
      MAX_TIMER,
    ),
    handshakeTimeout: integerOption(
      "handshakeTimeout",
      options.handshakeTimeout,
      DEFAULT_HANDSHAKE_TIMEOUT,
      0,
      MAX_TIMER,
    ),
    rateLimit,
    rateLimitBurst: integerOption("rateLimitBurst", options.rateLimitBurst, defaultBurst, 1),
    rateLimitPolicy: oneOf("rateLimitPolicy", options.rateLimitPolicy, [
      "pause",
      "drop",
      "close",
    ] as const),
    slowConsumerPolicy: oneOf("slowConsumerPolicy", options.slowConsumerPolicy, [
      "reject",
      "disconnect",
    ] as const),
    shutdownTimeout: integerOption(
      "shutdownTimeout",
      options.shutdownTimeout,
      DEFAULT_SHUTDOWN_TIMEOUT,
      0,
      MAX_TIMER,
    ),
    perAddress: options.perAddress ? { ...options.perAddress } : undefined,
    tls: options.tls,
  };
}
