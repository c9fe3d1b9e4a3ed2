import type { Duplex } from "node:stream";
import type { ConnectionOptions as TlsConnectionOptions } from "node:tls";
import {
  type ConnectionSocket,
  DEFAULT_IDLE_TIMEOUT,
  DEFAULT_SEND_QUEUE_BYTES,
  DEFAULT_SEND_QUEUE_SIZE,
  MAX_TIMER,
  type SharedConnectionOptions,
  TaurusError,
} from "@taurus/core-conn";
import { integerOption, resolveSharedOptions } from "@taurus/core-conn/internal";
import type { ClientSessionOptions } from "./session/options";

/** Default milliseconds a connection attempt may take, TLS handshake included (5 s, the Go original's default). */
export const DEFAULT_CONNECT_TIMEOUT = 5_000;
/** Default milliseconds without a whole message in or out before the connection is closed (30 minutes, the Go original's default). */
export const DEFAULT_CLIENT_IDLE_TIMEOUT = DEFAULT_IDLE_TIMEOUT;
/** Default largest frame sent or accepted: 1 MiB (the Go original's default), or the protocol's limit when lower. */
export const DEFAULT_MAX_MESSAGE_SIZE = 1024 * 1024;
/**
 * Default reconnection attempts after a failure, before giving up: `Infinity`
 * (never give up). The Go original gave up after 3, about 5 s after its server
 * went away: an ordinary 10 s restart left its clients closed for good.
 */
export const DEFAULT_MAX_RETRIES = Number.POSITIVE_INFINITY;
/** Default base delay of the exponential backoff, in milliseconds (1 s, the Go original's default). */
export const DEFAULT_RETRY_DELAY = 1_000;
/** Default cap of the exponential backoff, in milliseconds (10 s, the Go original's default). */
export const DEFAULT_MAX_RETRY_DELAY = 10_000;
/** Default bound of the send queue and of the offline queue, in messages (1024, the Go original's default). */
export const DEFAULT_SEND_BUFFER_SIZE = DEFAULT_SEND_QUEUE_SIZE;
/** Default bound of the send queue and of the offline queue, in bytes (16 MiB). */
export const DEFAULT_SEND_BUFFER_BYTES = DEFAULT_SEND_QUEUE_BYTES;
/** Default most requests waiting for their replies at once (1024). */
export const DEFAULT_MAX_PENDING_REQUESTS = 1024;
/** Default milliseconds a request waits for its reply (30 s). */
export const DEFAULT_REQUEST_TIMEOUT = 30_000;
/** Default messages an async iterator buffers before the connection stops reading (1024). */
export const DEFAULT_ITERATOR_HIGH_WATER_MARK = 1024;
/**
 * Default milliseconds between keepalive pings when the protocol has a
 * keepalive and no `heartbeat` is given (5 s): half of a server's default
 * first-byte deadline (10 s), far within its idle timeout (30 minutes). A
 * ping goes only when nothing else was sent since the previous one.
 */
export const DEFAULT_HEARTBEAT_INTERVAL = 5_000;
/** Default milliseconds `close()` waits for the flush and the peer's close before destroying the socket (10 s). */
export const DEFAULT_CLOSE_TIMEOUT = 10_000;

/** Where to connect: `"host:port"` (`"[::1]:port"` for IPv6) or `{ host, port }`. */
export type ClientAddress = string | HostPort;

/** A host and a port. */
export interface HostPort {
  /** A host name or IP address. */
  host: string;
  /** A TCP port, 1 to 65535. */
  port: number;
}

/** What the socket factory ({@link ClientOptions.connect}) is called with. */
export interface SocketFactoryOptions {
  /** The host to connect to. */
  host: string;
  /** The port to connect to. */
  port: number;
  /** The TLS options, when the client connects over TLS. */
  tls: TlsConnectionOptions | undefined;
}

/**
 * Makes the socket of one connection attempt. The client waits for its
 * `connect` event (`secureConnect` with TLS) unless `connecting` is `false`,
 * and destroys it on connect timeout.
 */
export type SocketFactory = (options: SocketFactoryOptions) => ConnectionSocket | Duplex;

/**
 * Heartbeat settings: every `interval` ms while connected the client sends
 * `message()`; when nothing at all arrived for `timeout` ms the peer is deemed
 * dead and the connection is closed with `HEARTBEAT_TIMEOUT` (then reconnected).
 *
 * @typeParam M - the message type of the protocol
 */
export interface HeartbeatOptions<M> {
  /** Milliseconds between two heartbeats (an integer, at least 1). */
  interval: number;
  /**
   * Milliseconds of inbound silence after which the peer is dead (an integer,
   * at least 1). Any byte the connection receives counts as traffic. Silence
   * is checked four times per `timeout`: a dead peer is declared after
   * `timeout` to `1.25 x timeout` ms of silence.
   */
  timeout: number;
  /**
   * Makes a heartbeat message. It is sent as `send()` sends: with a session
   * held it is one of the session's data messages (counted, processed once by
   * the server's handler, sent again after a cut if not acknowledged); it is
   * skipped while messages wait in the offline queue.
   */
  message: () => M;
  /**
   * Tells heartbeat replies apart: messages for which it returns `true` are
   * not delivered to the application.
   * @defaultValue every message is delivered
   */
  isReply?: (message: M) => boolean;
}

/**
 * How requests and replies are matched. A reply matches the pending request
 * whose number `get` returns.
 *
 * @typeParam M - the message type of the protocol
 */
export interface Correlation<M> {
  /** The correlation number of a message, or `undefined` when it has none. */
  get(message: M): number | undefined;
  /** A copy of `message` carrying the correlation number `sequence`; never mutate `message`. */
  set(message: M, sequence: number): M;
}

/**
 * Options of {@link createClient}, besides the address, protocol and handler.
 * Every field is optional.
 *
 * @typeParam M - the message type of the protocol
 */
export interface ClientOptions<M> extends SharedConnectionOptions {
  /**
   * Milliseconds one connection attempt may take (TLS handshake included)
   * before it fails with `CONNECT_TIMEOUT`.
   * @defaultValue {@link DEFAULT_CONNECT_TIMEOUT} (5 s)
   * @deprecated Use `handshakeTimeout`, the server's name.
   */
  connectTimeout?: number;
  /**
   * Reconnection attempts after a failed connect or a dropped connection,
   * before the client gives up; an integer, or `Infinity`. `0` never retries.
   * The count restarts only once a server has answered (sent its first byte):
   * a server whose kernel accepts connections while the process is frozen
   * does not reset the backoff.
   * @defaultValue {@link DEFAULT_MAX_RETRIES} (`Infinity`: never give up)
   */
  maxRetries?: number;
  /**
   * Base delay of the exponential backoff, in milliseconds: retry `n` waits a
   * random time in `[d/2, d]` with `d = min(maxRetryDelay, retryDelay * 2^(n-1))`.
   * @defaultValue {@link DEFAULT_RETRY_DELAY} (1 s)
   */
  retryDelay?: number;
  /**
   * Cap of the backoff delay, in milliseconds.
   * @defaultValue {@link DEFAULT_MAX_RETRY_DELAY} (10 s)
   */
  maxRetryDelay?: number;
  /**
   * Most messages in the connection's send queue, and in the offline queue.
   * @defaultValue {@link DEFAULT_SEND_BUFFER_SIZE} (1024)
   * @deprecated Use `sendQueueSize`, the server's name.
   */
  sendBufferSize?: number;
  /**
   * Most bytes in the connection's send queue, and in the offline queue.
   * @defaultValue {@link DEFAULT_SEND_BUFFER_BYTES} (16 MiB)
   * @deprecated Use `sendQueueBytes`, the server's name.
   */
  sendBufferBytes?: number;
  /**
   * Most requests waiting for their replies; one more is refused with `TOO_MANY_PENDING`.
   * @defaultValue {@link DEFAULT_MAX_PENDING_REQUESTS} (1024)
   */
  maxPendingRequests?: number;
  /**
   * Milliseconds a request waits for its reply when the call gives no `timeout`.
   * @defaultValue {@link DEFAULT_REQUEST_TIMEOUT} (30 s)
   */
  requestTimeout?: number;
  /**
   * Messages each async iterator buffers before the connection stops reading
   * (it resumes once the iterator's buffer is drained to half of it).
   * @defaultValue {@link DEFAULT_ITERATOR_HIGH_WATER_MARK} (1024)
   */
  iteratorHighWaterMark?: number;
  /**
   * Milliseconds `close()` waits for the accepted messages to be flushed and
   * for the peer to close, before it destroys the socket; `0` waits indefinitely.
   * @defaultValue {@link DEFAULT_CLOSE_TIMEOUT} (10 s)
   */
  closeTimeout?: number;
  /**
   * Heartbeat settings: the application's own ping and dead-peer timeout.
   * When given, the keepalive pings of {@link ClientOptions.keepaliveInterval}
   * are not sent.
   * @defaultValue none (the protocol's keepalive pings are sent instead)
   */
  heartbeat?: HeartbeatOptions<M>;
  /**
   * When the protocol has a `keepalive` (both Taurus protocols do) and no
   * `heartbeat` is given, the client sends a keepalive ping every this many
   * ms in which it sent nothing else, so a client that only receives stays
   * within a server's first-byte and idle deadlines (a Taurus server answers
   * with a pong, which counts as inbound traffic here too). `0` disables it;
   * do so against a Go server, which does not know keepalives.
   * At most one ping goes to a server that has not proved it speaks the
   * control space (a pong, or a session's answer): a Go server hands pings to
   * its handler, so it sees one per connection at most.
   * @defaultValue {@link DEFAULT_HEARTBEAT_INTERVAL} (5 s)
   */
  keepaliveInterval?: number;
  /**
   * Ask the server for a session (issue 13): every message delivered exactly
   * once and in order, both ways, across broken connections within the
   * server's resume window; `true` for the defaults. A server without
   * sessions (or a Go server, which stays silent for `helloTimeout`) leaves
   * the client without one: the `sessionUnavailable` event says so.
   * See docs/DELIVERY.md.
   * @defaultValue `false`
   * @throws `INVALID_OPTION` (option `session`, from `createClient`) when the
   *   protocol has no control frames (`Protocol.control`) or a field is bad
   */
  session?: boolean | ClientSessionOptions;
  /**
   * How requests and replies are matched.
   * @defaultValue the message's numeric `sequence` field
   */
  correlation?: Correlation<M>;
  /**
   * Connect over TLS with these `node:tls` options (`ca`, `servername`,
   * `rejectUnauthorized`, `cert`, `key`...).
   * @defaultValue plain TCP
   */
  tls?: TlsConnectionOptions;
  /**
   * Makes the socket of each connection attempt (for tests or custom transports).
   * @defaultValue `net.connect` (or `tls.connect` with {@link ClientOptions.tls}) with `allowHalfOpen: true`
   */
  connect?: SocketFactory;
  /**
   * A source of uniform random numbers in `[0, 1)` for the backoff jitter.
   * @defaultValue `Math.random`
   */
  random?: () => number;
}

/** @internal Options with every default applied. */
export interface ResolvedClientOptions<M> {
  host: string;
  port: number;
  connectTimeout: number;
  idleTimeout: number;
  maxMessageSize: number;
  maxRetries: number;
  retryDelay: number;
  maxRetryDelay: number;
  sendBufferSize: number;
  sendBufferBytes: number;
  maxPendingRequests: number;
  requestTimeout: number;
  iteratorHighWaterMark: number;
  closeTimeout: number;
  heartbeat: Readonly<HeartbeatOptions<M>> | undefined;
  keepaliveInterval: number;
  correlation: Correlation<M>;
  tls: TlsConnectionOptions | undefined;
  connect: SocketFactory | undefined;
  random: () => number;
}

function invalid(name: string, why: string, value: unknown): TaurusError {
  return new TaurusError("INVALID_OPTION", `option ${name} ${why}, got ${String(value)}`, {
    option: name,
  });
}

/**
 * @internal Parses an address (not exported from the package root).
 *
 * @param address - `"host:port"`, `"[ipv6]:port"` or `{ host, port }`
 * @returns the host and port
 * @throws `TaurusError` `INVALID_OPTION` naming `address`
 */
export function parseAddress(address: ClientAddress): HostPort {
  let host: string;
  let port: number;
  if (typeof address === "string") {
    const colon = address.lastIndexOf(":");
    if (colon <= 0) throw invalid("address", 'must be "host:port"', address);
    host = address.slice(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) host = host.slice(1, -1);
    const portText = address.slice(colon + 1);
    port = /^\d+$/.test(portText) ? Number(portText) : Number.NaN;
  } else if (typeof address === "object" && address !== null) {
    host = address.host;
    port = address.port;
  } else {
    throw invalid("address", 'must be "host:port" or { host, port }', address);
  }
  if (typeof host !== "string" || host.length === 0) throw invalid("address", "needs a host", host);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw invalid("address", "needs a port from 1 to 65535", port);
  }
  return { host, port };
}

function retriesOption(value: number | undefined): number {
  if (value === undefined || value === Number.POSITIVE_INFINITY) return DEFAULT_MAX_RETRIES;
  return integerOption("maxRetries", value, 0, 0);
}

function heartbeatOption<M>(
  value: HeartbeatOptions<M> | undefined,
): Readonly<HeartbeatOptions<M>> | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "object" || value === null)
    throw invalid("heartbeat", "must be an object", value);
  if (typeof value.message !== "function") {
    throw invalid("heartbeat.message", "must be a function", value.message);
  }
  if (value.isReply !== undefined && typeof value.isReply !== "function") {
    throw invalid("heartbeat.isReply", "must be a function", value.isReply);
  }
  return Object.freeze({
    interval: integerOption("heartbeat.interval", value.interval, Number.NaN, 1, MAX_TIMER),
    timeout: integerOption("heartbeat.timeout", value.timeout, Number.NaN, 1, MAX_TIMER),
    message: value.message,
    isReply: value.isReply,
  });
}

function required(name: string, value: number): number {
  if (Number.isNaN(value)) throw invalid(name, "is required", undefined);
  return value;
}

/** The default correlation: the message's numeric `sequence` field. */
export function sequenceCorrelation<M>(): Correlation<M> {
  return {
    get(message: M): number | undefined {
      const sequence = (message as { sequence?: unknown } | null)?.sequence;
      return typeof sequence === "number" ? sequence : undefined;
    },
    set(message: M, sequence: number): M {
      return { ...message, sequence };
    },
  };
}

function functionOption<F>(name: string, value: F | undefined): F | undefined {
  if (value !== undefined && typeof value !== "function")
    throw invalid(name, "must be a function", value);
  return value;
}

/** @internal Applies defaults and validates; never mutates `options`. */
export function resolveClientOptions<M>(
  address: ClientAddress,
  options: ClientOptions<M>,
  protocolMax: number,
): ResolvedClientOptions<M> {
  options = withSharedNames(options); // the old names: see the end of this file
  const { host, port } = parseAddress(address);
  const heartbeat = heartbeatOption(options.heartbeat);
  if (heartbeat) {
    required("heartbeat.interval", heartbeat.interval);
    required("heartbeat.timeout", heartbeat.timeout);
  }
  const correlation = options.correlation;
  if (
    correlation !== undefined &&
    (typeof correlation?.get !== "function" || typeof correlation?.set !== "function")
  ) {
    throw invalid("correlation", "must have get and set functions", correlation);
  }
  const shared = resolveSharedOptions(
    options,
    {
      maxMessageSize: Math.min(DEFAULT_MAX_MESSAGE_SIZE, protocolMax),
      sendQueueSize: DEFAULT_SEND_BUFFER_SIZE,
      sendQueueBytes: DEFAULT_SEND_BUFFER_BYTES,
      idleTimeout: DEFAULT_CLIENT_IDLE_TIMEOUT,
      handshakeTimeout: DEFAULT_CONNECT_TIMEOUT,
    },
    protocolMax,
    1,
  );
  return {
    host,
    port,
    connectTimeout: shared.handshakeTimeout,
    idleTimeout: shared.idleTimeout,
    maxMessageSize: shared.maxMessageSize,
    maxRetries: retriesOption(options.maxRetries),
    retryDelay: integerOption("retryDelay", options.retryDelay, DEFAULT_RETRY_DELAY, 0, MAX_TIMER),
    maxRetryDelay: integerOption(
      "maxRetryDelay",
      options.maxRetryDelay,
      DEFAULT_MAX_RETRY_DELAY,
      0,
      MAX_TIMER,
    ),
    sendBufferSize: shared.sendQueueSize,
    sendBufferBytes: shared.sendQueueBytes,
    maxPendingRequests: integerOption(
      "maxPendingRequests",
      options.maxPendingRequests,
      DEFAULT_MAX_PENDING_REQUESTS,
      1,
      0xfffffffe,
    ),
    requestTimeout: integerOption(
      "requestTimeout",
      options.requestTimeout,
      DEFAULT_REQUEST_TIMEOUT,
      1,
      MAX_TIMER,
    ),
    iteratorHighWaterMark: integerOption(
      "iteratorHighWaterMark",
      options.iteratorHighWaterMark,
      DEFAULT_ITERATOR_HIGH_WATER_MARK,
      1,
    ),
    closeTimeout: integerOption(
      "closeTimeout",
      options.closeTimeout,
      DEFAULT_CLOSE_TIMEOUT,
      0,
      MAX_TIMER,
    ),
    heartbeat,
    keepaliveInterval: integerOption(
      "keepaliveInterval",
      options.keepaliveInterval,
      DEFAULT_HEARTBEAT_INTERVAL,
      0,
      MAX_TIMER,
    ),
    correlation: correlation ?? sequenceCorrelation<M>(),
    tls: options.tls === undefined ? undefined : { ...options.tls },
    connect: functionOption("connect", options.connect),
    random: functionOption("random", options.random) ?? Math.random,
  };
}

// ---------------------------------------------------------------------------
// Issue 16, one vocabulary: the client's old names (@deprecated) are accepted
// beside the shared ones of `SharedConnectionOptions`. Kept apart at the end of the file.

/** Shared name, old name, and their bounds. */
const OLD_NAMES = [
  ["handshakeTimeout", "connectTimeout", 1, MAX_TIMER],
  ["sendQueueSize", "sendBufferSize", 1, Number.MAX_SAFE_INTEGER],
  ["sendQueueBytes", "sendBufferBytes", 1, Number.MAX_SAFE_INTEGER],
] as const;

/**
 * The options with each old name's value under its shared name: an old name
 * is checked under its own name (the one the user wrote), and one given
 * together with its shared name must agree with it.
 *
 * @internal
 */
export function withSharedNames<M>(options: ClientOptions<M>): ClientOptions<M> {
  let resolved = options;
  for (const [name, old, min, max] of OLD_NAMES) {
    const value = options[old];
    if (value === undefined) continue;
    integerOption(old, value, 0, min, max);
    if (options[name] !== undefined && options[name] !== value) {
      throw invalid(name, `disagrees with its old name ${old} (${String(value)})`, options[name]);
    }
    resolved = { ...resolved, [name]: value };
  }
  return resolved;
}
