import { type Protocol, TaurusError } from "@taurus/core-conn/codec";
import type { WebSessionOptions } from "./session-options";

/** Default milliseconds before the first reconnection attempt (100 ms); doubled each time. */
export const DEFAULT_RETRY_DELAY = 100;
/** Default cap of the reconnection delay (10 s). */
export const DEFAULT_MAX_RETRY_DELAY = 10_000;
/** Default most messages kept while disconnected (1000). */
export const DEFAULT_OFFLINE_QUEUE_SIZE = 1000;
/** Default milliseconds between two pings while nothing else is sent (15 s). */
export const DEFAULT_HEARTBEAT_INTERVAL = 15_000;
/** Default milliseconds a request waits for its reply (10 s). */
export const DEFAULT_REQUEST_TIMEOUT = 10_000;
/** Default most requests waiting for replies (1000). */
export const DEFAULT_MAX_PENDING_REQUESTS = 1000;
/** Default largest frame accepted from the server (1 MiB). */
export const DEFAULT_MAX_MESSAGE_SIZE = 1024 * 1024;

/** How requests and replies are matched (as in `@taurus/client`). */
export interface Correlation<M> {
  /** The correlation number of a message, or `undefined` when it has none. */
  get(message: M): number | undefined;
  /** A copy of `message` carrying the correlation number `sequence`; never mutate `message`. */
  set(message: M, sequence: number): M;
}

/**
 * What the client uses of a WebSocket: the browser's `WebSocket` has it all,
 * and so has `ws` in Node (for tests and tools).
 */
export interface WebSocketLike {
  /** Set to `"arraybuffer"` by the client. */
  binaryType: string;
  /** Sends one binary message. */
  send(data: Uint8Array): void;
  /**
   * `1` while open (the WebSocket constants: 0 connecting, 1 open, 2 closing,
   * 3 closed). The client sends only while it is 1: a browser drops what is
   * sent on a closing WebSocket. Absent: taken as open.
   */
  readonly readyState?: number;
  /** Closes the WebSocket. */
  close(code?: number, reason?: string): void;
  /** Called once open. */
  onopen: ((event: unknown) => void) | null;
  /** Called with each message (`data` an `ArrayBuffer` for a binary one). */
  onmessage: ((event: { data: unknown }) => void) | null;
  /** Called once closed. */
  onclose: ((event: { code: number; reason: string }) => void) | null;
  /** Called on an error (a `close` follows). */
  onerror: ((event: unknown) => void) | null;
}

/**
 * @internal The close codes the client uses: a browser's `WebSocket.close()`
 * accepts only 1000 and 3000-4999 (anything else throws `InvalidAccessError`).
 */
export const CLOSE_PROTOCOL_ERROR = 4002;
/** @internal The close code for a text message from the server (binary messages only). */
export const CLOSE_UNSUPPORTED_DATA = 4003;

/** The browser's `WebSocket` constructor, or one like it (for tests in Node: `ws`). */
export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** Options of {@link createWebClient}. */
export interface WebClientOptions<M> {
  /** The server's WebSocket URL, such as `wss://chat.example.com/ws`. */
  url: string;
  /** The wire protocol of the server (`createJsonProtocol()` or `createBinaryProtocol()`). */
  protocol: Protocol<M>;
  /** Reconnect after a lost connection, with exponential backoff and jitter. @defaultValue `true` */
  reconnect?: boolean;
  /** Milliseconds before the first retry, doubled per attempt. @defaultValue {@link DEFAULT_RETRY_DELAY} (100 ms) */
  retryDelay?: number;
  /** Cap of the retry delay. @defaultValue {@link DEFAULT_MAX_RETRY_DELAY} (10 s) */
  maxRetryDelay?: number;
  /**
   * Messages sent while disconnected are kept (in order) and sent on the next
   * connection; past this many, `send` throws `SEND_QUEUE_FULL`.
   * @defaultValue {@link DEFAULT_OFFLINE_QUEUE_SIZE} (1000)
   */
  offlineQueueSize?: number;
  /**
   * Milliseconds between pings (the protocol's keepalive); a connection that
   * receives nothing for twice this long is closed and reconnected. `0` turns
   * heartbeats off; so does a protocol without keepalive.
   * @defaultValue {@link DEFAULT_HEARTBEAT_INTERVAL} (15 s)
   */
  heartbeatInterval?: number;
  /** Milliseconds a request waits for its reply (`REQUEST_TIMEOUT`). @defaultValue {@link DEFAULT_REQUEST_TIMEOUT} (10 s) */
  requestTimeout?: number;
  /** Most requests waiting at once (`TOO_MANY_PENDING`). @defaultValue {@link DEFAULT_MAX_PENDING_REQUESTS} (1000) */
  maxPendingRequests?: number;
  /** Largest frame accepted from the server. @defaultValue {@link DEFAULT_MAX_MESSAGE_SIZE} (1 MiB), at most the protocol's */
  maxMessageSize?: number;
  /** How replies are matched to requests. @defaultValue the numeric `sequence` field */
  correlation?: Correlation<M>;
  /** The WebSocket class. @defaultValue `globalThis.WebSocket` */
  WebSocket?: WebSocketConstructor;
  /**
   * Ask the server for a session on each connection (`true`, or the options):
   * every message accepted by `send()` in either direction is delivered
   * exactly once and in order across broken WebSockets, within the server's
   * resume window (see docs/DELIVERY.md). A server without sessions refuses
   * and the client carries on without one (`sessionUnavailable`). Needs a
   * protocol with control frames (both Taurus protocols have them).
   * @defaultValue `false`
   */
  session?: boolean | WebSessionOptions;
}

/** @internal */
export type ResolvedWebClientOptions<M> = Required<
  Omit<WebClientOptions<M>, "WebSocket" | "session">
> & {
  WebSocket: WebSocketConstructor;
};

function nonNegative(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (typeof v !== "number" || !(v >= 0) || !Number.isFinite(v)) {
    throw new TaurusError(
      "INVALID_OPTION",
      `option ${name} must be a number >= 0, got ${String(v)}`,
      {
        option: name,
      },
    );
  }
  return v;
}

/** @internal The default correlation: the numeric `sequence` field. */
export function sequenceCorrelation<M>(): Correlation<M> {
  return {
    get: (m) => {
      const s = (m as { sequence?: unknown } | null)?.sequence;
      return typeof s === "number" ? s : undefined;
    },
    set: (m, sequence) => ({ ...m, sequence }),
  };
}

/** @internal Checks and fills the options. */
export function resolveWebClientOptions<M>(o: WebClientOptions<M>): ResolvedWebClientOptions<M> {
  const WS = o.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (!WS) {
    throw new TaurusError("INVALID_OPTION", "no WebSocket class: pass options.WebSocket", {
      option: "WebSocket",
    });
  }
  if (typeof o.url !== "string" || !/^wss?:\/\//.test(o.url)) {
    throw new TaurusError(
      "INVALID_OPTION",
      `option url must be a ws:// or wss:// URL, got ${String(o.url)}`,
      {
        option: "url",
      },
    );
  }
  return {
    url: o.url,
    protocol: o.protocol,
    reconnect: o.reconnect ?? true,
    retryDelay: nonNegative("retryDelay", o.retryDelay, DEFAULT_RETRY_DELAY),
    maxRetryDelay: nonNegative("maxRetryDelay", o.maxRetryDelay, DEFAULT_MAX_RETRY_DELAY),
    offlineQueueSize: nonNegative(
      "offlineQueueSize",
      o.offlineQueueSize,
      DEFAULT_OFFLINE_QUEUE_SIZE,
    ),
    heartbeatInterval: nonNegative(
      "heartbeatInterval",
      o.heartbeatInterval,
      DEFAULT_HEARTBEAT_INTERVAL,
    ),
    requestTimeout: nonNegative("requestTimeout", o.requestTimeout, DEFAULT_REQUEST_TIMEOUT),
    maxPendingRequests: nonNegative(
      "maxPendingRequests",
      o.maxPendingRequests,
      DEFAULT_MAX_PENDING_REQUESTS,
    ),
    maxMessageSize: Math.min(
      nonNegative("maxMessageSize", o.maxMessageSize, DEFAULT_MAX_MESSAGE_SIZE),
      o.protocol.maxMessageSize,
    ),
    correlation: o.correlation ?? sequenceCorrelation<M>(),
    WebSocket: WS,
  };
}
