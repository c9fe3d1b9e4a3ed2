import type { TlsOptions } from "node:tls";
import {
  DEFAULT_FRAME_TIMEOUT,
  DEFAULT_IDLE_TIMEOUT,
  DEFAULT_MEMORY_BUDGET,
  DEFAULT_SEND_QUEUE_SIZE,
  DEFAULT_WRITE_TIMEOUT,
  MAX_TIMER,
  MemoryBudget,
  type SharedConnectionOptions,
  type SlowConsumerPolicy,
  TaurusError,
} from "@taurus/core-conn";
import { integerOption, oneOf, resolveSharedOptions } from "@taurus/core-conn/internal";
import {
  type PerAddressLimits,
  type ResolvedPerAddress,
  resolvePerAddress,
} from "./per-address-options";
import type { ServerSessionOptions } from "./session/options";

/** Default most concurrent connections (the Go original's default). */
export const DEFAULT_MAX_CONNECTIONS = 1000;
/**
 * Default largest frame accepted or sent per connection: 64 KiB. The Go
 * original's 1 MiB would need 1 GiB for 1,000 peers each holding one partial
 * frame; 64 KiB keeps `maxConnections` peers within the memory budget.
 */
export const DEFAULT_MAX_MESSAGE_SIZE = 64 * 1024;
/**
 * Default bytes per connection send queue on a server: 64 KiB (one largest
 * frame). With a reader buffer of up to two 64 KiB frames, the 64 KiB write
 * high-water mark and one frame written past it, a peer holds at most
 * 320 KiB: 1,000 of them fit in the default {@link ServerOptions.memoryBudget}
 * of 320 MiB. (A bare `Connection` and the client keep 16 MiB.)
 */
export const DEFAULT_SERVER_SEND_QUEUE_BYTES = 64 * 1024;
/**
 * Default inbound bytes per second per connection, counted as frames are
 * decoded: 1 MiB/s, with a burst of as much. It bounds the parsing work a
 * peer can cause.
 */
export const DEFAULT_INBOUND_BYTES_PER_SECOND = 1024 * 1024;
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

/**
 * Options of {@link createServer}, besides the protocol and the handler. Every
 * field is optional. The per-connection options that a client and a bare
 * `Connection` take too are those of `SharedConnectionOptions` (same names,
 * same checks); on a server their defaults are: `maxMessageSize`
 * {@link DEFAULT_MAX_MESSAGE_SIZE} (64 KiB, or the protocol's limit when
 * lower), `sendQueueSize` 1024, `sendQueueBytes`
 * {@link DEFAULT_SERVER_SEND_QUEUE_BYTES} (64 KiB), `idleTimeout` 30 minutes,
 * `handshakeTimeout` {@link DEFAULT_HANDSHAKE_TIMEOUT} (10 s: the first byte,
 * or with TLS the handshake and then the first byte).
 */
export interface ServerOptions extends SharedConnectionOptions {
  /**
   * Most concurrent connections; a connection past it is closed at once and
   * counted as refused.
   * @defaultValue {@link DEFAULT_MAX_CONNECTIONS} (1000)
   */
  maxConnections?: number;
  /**
   * Milliseconds a frame may take to arrive once its first byte has, before
   * the connection is closed with `FRAME_TIMEOUT` (slowloris); `0` disables.
   * @defaultValue `DEFAULT_FRAME_TIMEOUT` of `@taurus/core-conn` (10 s)
   */
  frameTimeout?: number;
  /**
   * Milliseconds a peer's socket may stay over the write high-water mark
   * (the peer not reading) before the connection is closed with
   * `SLOW_CONSUMER`; `0` disables.
   * @defaultValue `DEFAULT_WRITE_TIMEOUT` of `@taurus/core-conn` (5 s)
   */
  writeTimeout?: number;
  /**
   * Bytes held on behalf of peers, over every connection of this server
   * (partial inbound frames, send queues, socket write buffers): a number of
   * bytes, or a `MemoryBudget` shared with other servers. Over it, the
   * connection holding the most is closed with `MEMORY_BUDGET`.
   * @defaultValue `DEFAULT_MEMORY_BUDGET` of `@taurus/core-conn` (320 MiB)
   */
  memoryBudget?: number | MemoryBudget;
  /**
   * Inbound bytes per second per connection, charged as frames are decoded
   * (before the next frame is decoded, the connection waits while over it);
   * `Infinity` disables.
   * @defaultValue {@link DEFAULT_INBOUND_BYTES_PER_SECOND} (1 MiB/s, burst as much)
   */
  inboundBytesPerSecond?: number;
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
   * What a message over the rate limit does. Under `"pause"` the limit is
   * applied before the frame is decoded; under `"drop"` and `"close"`, once
   * it is (the per-address message limit always pauses).
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
  /**
   * Limits per remote address: concurrent connections, new connections per
   * second, and messages per second shared by the address's connections,
   * with addresses exempt from them; `false` turns them all off.
   * @defaultValue on: see {@link PerAddressLimits} for each default
   */
  perAddress?: PerAddressLimits | false;
  /**
   * Serve over TLS with these `node:tls` options (`key`, `cert`, `ca`,
   * `requestCert`...). @defaultValue plain TCP
   */
  tls?: TlsOptions;
  /**
   * Sessions (issue 13): a client that asks for one (`session` of
   * `createClient`) gets every message delivered exactly once and in order,
   * both ways, across broken connections within the resume window; `true`
   * for the defaults. Clients that do not ask, and Go peers, see no change.
   * See docs/DELIVERY.md.
   * @defaultValue `false`: a hello is answered with `refuse`
   * @throws `INVALID_OPTION` (from `createServer`) for a bad field
   */
  sessions?: boolean | ServerSessionOptions;
}

/** @internal */
export interface ResolvedServerOptions {
  maxConnections: number;
  sendQueueSize: number;
  sendQueueBytes: number;
  maxMessageSize: number;
  idleTimeout: number;
  frameTimeout: number;
  writeTimeout: number;
  memoryBudget: MemoryBudget;
  inboundBytesPerSecond: number;
  handshakeTimeout: number;
  rateLimit: number;
  rateLimitBurst: number;
  rateLimitPolicy: RateLimitPolicy;
  slowConsumerPolicy: SlowConsumerPolicy;
  shutdownTimeout: number;
  perAddress: ResolvedPerAddress | undefined;
  tls: TlsOptions | undefined;
}

function rateOption(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !(value > 0)) {
    throw new TaurusError(
      "INVALID_OPTION",
      `option ${name} must be a positive number or Infinity, got ${String(value)}`,
      { option: name },
    );
  }
  return value;
}

function budgetOption(value: number | MemoryBudget | undefined): MemoryBudget {
  if (value instanceof MemoryBudget) return value;
  return new MemoryBudget(integerOption("memoryBudget", value, DEFAULT_MEMORY_BUDGET, 1));
}

/** @internal Applies defaults and validates; never mutates `options`. */
export function resolveServerOptions(
  options: ServerOptions,
  protocolMax: number,
): ResolvedServerOptions {
  const rateLimit = rateOption("rateLimit", options.rateLimit, DEFAULT_RATE_LIMIT);
  const defaultBurst = Number.isFinite(rateLimit) ? Math.max(1, Math.ceil(rateLimit)) : 1;
  return {
    ...resolveSharedOptions(
      options,
      {
        maxMessageSize: Math.min(DEFAULT_MAX_MESSAGE_SIZE, protocolMax),
        sendQueueSize: DEFAULT_SEND_QUEUE_SIZE,
        sendQueueBytes: DEFAULT_SERVER_SEND_QUEUE_BYTES,
        idleTimeout: DEFAULT_IDLE_TIMEOUT,
        handshakeTimeout: DEFAULT_HANDSHAKE_TIMEOUT,
      },
      protocolMax,
    ),
    maxConnections: integerOption(
      "maxConnections",
      options.maxConnections,
      DEFAULT_MAX_CONNECTIONS,
      1,
    ),
    frameTimeout: integerOption(
      "frameTimeout",
      options.frameTimeout,
      DEFAULT_FRAME_TIMEOUT,
      0,
      MAX_TIMER,
    ),
    writeTimeout: integerOption(
      "writeTimeout",
      options.writeTimeout,
      DEFAULT_WRITE_TIMEOUT,
      0,
      MAX_TIMER,
    ),
    memoryBudget: budgetOption(options.memoryBudget),
    inboundBytesPerSecond: rateOption(
      "inboundBytesPerSecond",
      options.inboundBytesPerSecond,
      DEFAULT_INBOUND_BYTES_PER_SECOND,
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
    perAddress: resolvePerAddress(options.perAddress),
    tls: options.tls,
  };
}
