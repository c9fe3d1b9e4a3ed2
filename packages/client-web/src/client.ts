import { TaurusError } from "@taurus/core-conn/codec";
import { Emitter } from "./emitter";
import { FrameBuffer } from "./frame-buffer";
import {
  type ResolvedWebClientOptions,
  resolveWebClientOptions,
  type WebClientOptions,
  type WebSocketLike,
} from "./options";

/** Where a {@link WebClient} is in its life. */
export type WebClientState = "idle" | "connecting" | "open" | "reconnecting" | "closed";

/** What a `reconnecting` event tells. */
export interface ReconnectInfo {
  /** The retry number, from 1. */
  attempt: number;
  /** Milliseconds before this retry. */
  delay: number;
  /** Why the connection was lost, when known. */
  error: TaurusError | undefined;
}

/** The events of a {@link WebClient}. */
export interface WebClientEvents<M> {
  /** A connection is open (the first, or a reconnection); the offline queue was sent. */
  open: [];
  /** A message from the server (pings, pongs and replies to requests are not delivered here). */
  message: [message: M];
  /** Inbound bytes were dropped (bad frame); the connection stays open. */
  drop: [error: TaurusError];
  /** The connection was lost; a retry comes after `delay` ms. */
  reconnecting: [info: ReconnectInfo];
  /** The client is closed for good (by `close()`, or lost with `reconnect: false`). */
  close: [error: TaurusError | undefined];
}

interface Pending<M> {
  resolve: (reply: M) => void;
  reject: (error: TaurusError) => void;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * A Taurus client for the browser, over WebSocket (see `@taurus/transport-ws`
 * on the server): the frames of the server's protocol in binary messages.
 * Reconnects with backoff and jitter, queues what is sent while disconnected,
 * sends heartbeats, matches replies to requests. Create it with {@link createWebClient}.
 *
 * Resumable sessions (`@taurus/client`'s, issue 13) are not supported yet: a
 * reconnection is a new connection, and messages the server sent while
 * disconnected are not replayed.
 *
 * @typeParam M - the message type of the protocol
 */
export class WebClient<M> extends Emitter<WebClientEvents<M>> {
  private readonly options: ResolvedWebClientOptions<M>;
  private ws: WebSocketLike | undefined;
  private frames: FrameBuffer<M> | undefined;
  private readonly offline: Uint8Array[] = [];
  private readonly pending = new Map<number, Pending<M>>();
  private lastSequence = 0;
  private attempt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private heartbeatTimer: ReturnType<typeof setInterval> | undefined;
  private lastReceived = 0;
  private current: WebClientState = "idle";
  private opened: { resolve: () => void; reject: (e: TaurusError) => void } | undefined;

  /** @internal use {@link createWebClient} */
  constructor(options: WebClientOptions<M>) {
    super();
    this.options = resolveWebClientOptions(options);
  }

  /** Where the client is: `idle`, `connecting`, `open`, `reconnecting` or `closed`. */
  get state(): WebClientState {
    return this.current;
  }

  /** Messages waiting in the offline queue. */
  get queued(): number {
    return this.offline.length;
  }

  /**
   * Opens the connection.
   *
   * @returns a promise that resolves once open
   * @throws `TaurusError` `CONNECTION_CLOSED` when the client is closed, or when the first
   *   attempt fails and `reconnect` is off (with reconnection on, it keeps trying)
   */
  connect(): Promise<void> {
    if (this.current === "closed") {
      return Promise.reject(new TaurusError("CONNECTION_CLOSED", "client is closed"));
    }
    if (this.current === "open") return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const previous = this.opened;
      this.opened = {
        resolve: () => {
          previous?.resolve();
          resolve();
        },
        reject: (e) => {
          previous?.reject(e);
          reject(e);
        },
      };
      if (this.current === "idle") this.open();
    });
  }

  /**
   * Sends a message: at once when connected, otherwise kept in the offline
   * queue and sent, in order, once connected.
   *
   * @throws `TaurusError` `INVALID_MESSAGE`/`MESSAGE_TOO_LARGE` from the encoder;
   *   `SEND_QUEUE_FULL` when offline and the queue is full; `CONNECTION_CLOSED` once closed
   */
  send(message: M): void {
    this.sendFrame(this.options.protocol.encode(message));
  }

  /**
   * Sends a request and waits for its reply: the message gets the next
   * correlation number, and the first message from the server with the same
   * number settles it (and is not emitted as `message`).
   *
   * @returns the reply
   * @throws `TaurusError` `REQUEST_TIMEOUT` after `timeout` ms; `TOO_MANY_PENDING`;
   *   `CONNECTION_CLOSED` when the client closes first; as {@link WebClient.send}
   */
  request(message: M, options: { timeout?: number } = {}): Promise<M> {
    const o = this.options;
    if (this.pending.size >= o.maxPendingRequests) {
      return Promise.reject(
        new TaurusError("TOO_MANY_PENDING", `${this.pending.size} requests are waiting`),
      );
    }
    let sequence = this.lastSequence;
    do sequence = sequence >= 0xffffffff ? 1 : sequence + 1;
    while (this.pending.has(sequence));
    this.lastSequence = sequence;
    const timeout = options.timeout ?? o.requestTimeout;
    return new Promise<M>((resolve, reject) => {
      try {
        this.send(o.correlation.set(message, sequence));
      } catch (err) {
        reject(err);
        return;
      }
      const timer = setTimeout(() => {
        this.pending.delete(sequence);
        reject(
          new TaurusError("REQUEST_TIMEOUT", `request ${sequence} got no reply in ${timeout} ms`),
        );
      }, timeout);
      this.pending.set(sequence, { resolve, reject, timer });
    });
  }

  /**
   * Closes the connection for good: stops reconnecting, rejects the requests
   * waiting and drops the offline queue. Emits `close`.
   *
   * @returns a promise that resolves once closed
   */
  close(): Promise<void> {
    if (this.current === "closed") return Promise.resolve();
    this.finish(undefined);
    return Promise.resolve();
  }

  private sendFrame(frame: Uint8Array): void {
    if (this.current === "closed") throw new TaurusError("CONNECTION_CLOSED", "client is closed");
    if (this.current === "open" && this.ws) {
      this.ws.send(frame);
      return;
    }
    if (this.offline.length >= this.options.offlineQueueSize) {
      throw new TaurusError(
        "SEND_QUEUE_FULL",
        `offline queue holds ${this.offline.length} messages (offlineQueueSize)`,
      );
    }
    this.offline.push(frame);
  }

  private open(): void {
    this.current = this.attempt === 0 ? "connecting" : "reconnecting";
    const o = this.options;
    let ws: WebSocketLike;
    try {
      ws = new o.WebSocket(o.url);
    } catch (err) {
      this.lost(new TaurusError("SOCKET", `cannot open ${o.url}: ${String(err)}`, { cause: err }));
      return;
    }
    ws.binaryType = "arraybuffer";
    this.ws = ws;
    this.frames = new FrameBuffer(o.protocol, o.maxMessageSize);
    ws.onopen = () => this.onOpen(ws);
    ws.onmessage = (event) => this.onMessage(ws, event.data);
    ws.onerror = () => {};
    ws.onclose = (event) => {
      if (this.ws !== ws) return;
      this.lost(
        new TaurusError(
          "CONNECTION_CLOSED",
          `WebSocket closed (${event.code}${event.reason ? ` ${event.reason}` : ""})`,
        ),
      );
    };
  }

  private onOpen(ws: WebSocketLike): void {
    if (this.ws !== ws) return;
    this.current = "open";
    this.attempt = 0;
    this.lastReceived = Date.now();
    for (const frame of this.offline.splice(0)) ws.send(frame);
    this.startHeartbeat();
    const opened = this.opened;
    this.opened = undefined;
    opened?.resolve();
    this.emit("open");
  }

  private onMessage(ws: WebSocketLike, data: unknown): void {
    if (this.ws !== ws || !this.frames) return;
    if (!(data instanceof ArrayBuffer)) {
      ws.close(1003, "binary messages only");
      return;
    }
    this.lastReceived = Date.now();
    const { messages, drops, fatal } = this.frames.push(new Uint8Array(data));
    for (const drop of drops) this.emit("drop", drop);
    for (const message of messages) this.deliver(message);
    if (fatal) ws.close(1002, fatal.code);
  }

  private deliver(message: M): void {
    const keepalive = this.options.protocol.keepalive;
    const kind = keepalive?.kind(message);
    if (kind === "ping") {
      this.ws?.send(this.options.protocol.encode((keepalive as { pong: M }).pong));
      return;
    }
    if (kind === "pong") return;
    const sequence = this.options.correlation.get(message);
    const waiting = sequence === undefined ? undefined : this.pending.get(sequence);
    if (waiting && sequence !== undefined) {
      this.pending.delete(sequence);
      clearTimeout(waiting.timer);
      waiting.resolve(message);
      return;
    }
    this.emit("message", message);
  }

  private startHeartbeat(): void {
    this.stopHeartbeat();
    const interval = this.options.heartbeatInterval;
    const keepalive = this.options.protocol.keepalive;
    if (interval === 0 || !keepalive) return;
    const ping = this.options.protocol.encode(keepalive.ping);
    this.heartbeatTimer = setInterval(() => {
      if (Date.now() - this.lastReceived > 2 * interval) {
        const ws = this.ws;
        this.lost(new TaurusError("HEARTBEAT_TIMEOUT", `nothing received for ${2 * interval} ms`));
        ws?.close();
        return;
      }
      this.ws?.send(ping);
    }, interval);
  }

  private stopHeartbeat(): void {
    if (this.heartbeatTimer !== undefined) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
  }

  /** The connection is gone: requests on it fail; retry, or close for good. */
  private lost(error: TaurusError): void {
    this.stopHeartbeat();
    this.ws = undefined;
    this.frames = undefined;
    this.rejectPending(error);
    if (!this.options.reconnect) {
      this.finish(error);
      return;
    }
    this.attempt++;
    const o = this.options;
    const d = Math.min(o.maxRetryDelay, o.retryDelay * 2 ** (this.attempt - 1));
    const delay = d / 2 + Math.random() * (d / 2);
    this.current = "reconnecting";
    this.emit("reconnecting", { attempt: this.attempt, delay, error });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (this.current === "reconnecting") this.open();
    }, delay);
  }

  private rejectPending(error: TaurusError): void {
    for (const [sequence, entry] of this.pending) {
      this.pending.delete(sequence);
      clearTimeout(entry.timer);
      entry.reject(error);
    }
  }

  private finish(error: TaurusError | undefined): void {
    this.current = "closed";
    this.stopHeartbeat();
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    const ws = this.ws;
    this.ws = undefined;
    ws?.close(1000);
    const closed = error ?? new TaurusError("CONNECTION_CLOSED", "client closed");
    this.rejectPending(closed);
    this.offline.length = 0;
    const opened = this.opened;
    this.opened = undefined;
    opened?.reject(closed);
    this.emit("close", error);
  }
}

/**
 * Creates a browser client; call {@link WebClient.connect}.
 *
 * @param options - the URL, the protocol, and the options (see {@link WebClientOptions} for defaults)
 * @returns the client, not yet connected
 * @throws `TaurusError` `INVALID_OPTION` for an option out of range, or when there is no `WebSocket` class
 *
 * @example
 * ```ts
 * const client = createWebClient({ url: "wss://chat.example.com/ws", protocol: createJsonProtocol() });
 * client.on("message", (m) => console.log(m));
 * await client.connect();
 * client.send({ type: 2, sequence: 1, data: { text: "hi" }, timestamp: 0n });
 * ```
 */
export function createWebClient<M>(options: WebClientOptions<M>): WebClient<M> {
  return new WebClient(options);
}
