import {
  ClientSessionCore,
  type SessionInfo,
  type SessionLostInfo,
  TaurusError,
} from "@taurus/core-conn/codec";
import { Emitter } from "./emitter";
import { FrameBuffer } from "./frame-buffer";
import {
  CLOSE_PROTOCOL_ERROR,
  CLOSE_UNSUPPORTED_DATA,
  type ResolvedWebClientOptions,
  resolveWebClientOptions,
  type WebClientOptions,
  type WebSocketLike,
} from "./options";
import { resolveWebSessionOptions } from "./session-options";

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

/**
 * What {@link WebClient.close} gave up on, so that nothing accepted by
 * `send()` is dropped without the caller knowing.
 */
export interface WebClientCloseReport {
  /** Messages accepted by `send()` (or `request()`) still in the offline queue, not sent. */
  discarded: number;
  /** Requests still waiting for a reply, rejected with `CONNECTION_CLOSED`. */
  rejectedRequests: number;
}

/** The events of a {@link WebClient}. */
export interface WebClientEvents<M> {
  /**
   * A connection is up (the first, or a reconnection): the server answered
   * (with the `session` option: granted the session, refused it, or stayed
   * silent); what waited was sent. `resumed` is `true` when a session was
   * resumed: the server still knows this client, so a login or join sent on
   * each `open` is not needed again.
   */
  open: [resumed: boolean];
  /** A message from the server (pings, pongs and replies to requests are not delivered here). */
  message: [message: M];
  /** Inbound bytes were dropped (bad frame); the connection stays open. */
  drop: [error: TaurusError];
  /** The connection was lost; a retry comes after `delay` ms. */
  reconnecting: [info: ReconnectInfo];
  /** The client is closed for good (by `close()`, or lost with `reconnect: false`). */
  close: [error: TaurusError | undefined];
  /** The server granted a session (new, or resumed with `info.replayed` messages sent again). */
  session: [info: SessionInfo];
  /**
   * The session could not be resumed (or ended with `close()`): what may be
   * lost is counted, never silent. Requests waiting on it reject with `CONNECTION_CLOSED`.
   */
  sessionLost: [info: SessionLostInfo];
  /**
   * The client asked for a session and carries on without one: the server
   * refused (`"refused"`: a Taurus server without sessions, or at its limit)
   * or said nothing (`"silent"`). It asks again on the next connection.
   */
  sessionUnavailable: [reason: "refused" | "silent"];
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
 * With the `session` option (as `@taurus/client`'s, docs/DELIVERY.md), every
 * message accepted by `send()` in either direction is delivered exactly once
 * and in order across broken WebSockets, within the server's resume window.
 *
 * @typeParam M - the message type of the protocol
 */
export class WebClient<M> extends Emitter<WebClientEvents<M>> {
  private readonly options: ResolvedWebClientOptions<M>;
  private ws: WebSocketLike | undefined;
  private frames: FrameBuffer<M> | undefined;
  private offline: Uint8Array[] = [];
  private readonly pending = new Map<number, Pending<M>>();
  private lastSequence = 0;
  private attempt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private heartbeatTimer: ReturnType<typeof setInterval> | undefined;
  private lastReceived = 0;
  private current: WebClientState = "idle";
  private opened: { resolve: () => void; reject: (e: TaurusError) => void } | undefined;
  private readonly session: ClientSessionCore<M, WebSocketLike> | undefined;
  private report: WebClientCloseReport | undefined;

  /** @internal use {@link createWebClient} */
  constructor(options: WebClientOptions<M>) {
    super();
    const o = resolveWebClientOptions(options);
    this.options = o;
    const so = resolveWebSessionOptions(options.session, o.protocol);
    if (so === undefined) return;
    this.session = new ClientSessionCore<M, WebSocketLike>(so, o.protocol, {
      granted: (ws, id, resumed, resend, replayed) => {
        this.offline = resend; // the frames not acknowledged hold everything that waited
        this.established(ws, resumed);
        this.emit("session", { id, resumed, replayed });
      },
      unavailable: (ws, reason) => {
        this.established(ws, false);
        this.emit("sessionUnavailable", reason);
      },
      lost: (info, dropped) => {
        // Requests that may have reached the lost session may never be answered: their
        // callers learn it. Those that never left the page go on in the next session.
        const error = closedError(`session ${info.id} lost (${info.reason}) before the reply`);
        for (const sequence of dropped) this.rejectOne(sequence, error);
        this.emit("sessionLost", info);
      },
      write: (ws, message) => {
        if (!isOpen(ws)) return false;
        ws.send(o.protocol.encode(message));
        return true;
      },
      violated: (ws, reason) => ws.close(CLOSE_PROTOCOL_ERROR, reason),
      retry: (ws, reason) => {
        // As a heartbeat timeout: this WebSocket is given up, the client reconnects.
        if (this.ws === ws) this.lost(new TaurusError("HANDSHAKE_TIMEOUT", reason));
        ws.close();
      },
    });
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
   * queue and sent, in order, once connected. With a session it is also kept
   * until the server acknowledges it, and sent again after a broken WebSocket.
   *
   * @throws `TaurusError` `INVALID_MESSAGE`/`MESSAGE_TOO_LARGE` from the encoder;
   *   `SEND_QUEUE_FULL` when offline and the queue is full (or, before the
   *   session is granted, its retransmit buffer); `CONNECTION_CLOSED` once closed
   */
  send(message: M): void {
    this.sendFrame(this.options.protocol.encode(message));
  }

  /**
   * Sends a request and waits for its reply: the message gets the next
   * correlation number, and the first message from the server with the same
   * number settles it (and is not emitted as `message`). With a session held,
   * only the frame the server marked as this request's reply settles it, and
   * the request stays pending across reconnections until the session is lost.
   *
   * @returns the reply
   * @throws `TaurusError` `REQUEST_TIMEOUT` after `timeout` ms; `TOO_MANY_PENDING`;
   *   `CONNECTION_CLOSED` when the connection (without a session) or the
   *   session is lost, or the client closes first; as {@link WebClient.send}
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
        this.sendFrame(o.protocol.encode(o.correlation.set(message, sequence)), sequence);
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
   * waiting and drops the offline queue. A session held ends: `sessionLost`
   * (`"closed"`) says what the server never acknowledged. Emits `close`.
   * Calling it again gives the same report.
   *
   * @returns a promise that resolves once closed, with what was given up
   *   (see {@link WebClientCloseReport}); it never rejects
   */
  close(): Promise<WebClientCloseReport> {
    return Promise.resolve(this.report ?? this.finish(undefined));
  }

  private sendFrame(frame: Uint8Array, request?: number): void {
    if (this.current === "closed") throw new TaurusError("CONNECTION_CLOSED", "client is closed");
    // A WebSocket already closing (its close event not in yet) takes nothing: offline.
    const ws = this.current === "open" && this.ws && isOpen(this.ws) ? this.ws : undefined;
    if (ws === undefined && this.offline.length >= this.options.offlineQueueSize) {
      throw new TaurusError(
        "SEND_QUEUE_FULL",
        `offline queue holds ${this.offline.length} messages (offlineQueueSize)`,
      );
    }
    const session = this.session;
    // Counted by the session unless written on a connection that has none.
    if (session && (ws === undefined || session.held)) {
      if (!session.fits(frame)) {
        throw new TaurusError(
          "SEND_QUEUE_FULL",
          `the session's retransmit buffer holds ${session.outbox.length} unacknowledged messages (session.maxBufferedMessages or maxBufferedBytes)`,
        );
      }
      session.accepted(frame, request);
    }
    if (ws) {
      // A request on a session is flagged, so that the server marks its reply (and only it).
      // Offline, the flags come with the frames sent again once the session is granted.
      if (request !== undefined && session?.held) ws.send(session.flag);
      ws.send(frame);
    } else this.offline.push(frame);
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
    this.lastReceived = Date.now();
    this.startHeartbeat();
    // Up only once the server answered the hello (or stayed silent for helloTimeout).
    if (this.session) this.session.start(ws);
    else this.established(ws, false);
  }

  /** The connection is up: the server answered (or sessions are off); what waited goes out. */
  private established(ws: WebSocketLike, resumed: boolean): void {
    if (this.ws !== ws) return;
    this.current = "open";
    this.attempt = 0;
    for (const frame of this.offline.splice(0)) ws.send(frame);
    const opened = this.opened;
    this.opened = undefined;
    opened?.resolve();
    this.emit("open", resumed);
  }

  private onMessage(ws: WebSocketLike, data: unknown): void {
    if (this.ws !== ws || !this.frames) return;
    if (!(data instanceof ArrayBuffer)) {
      ws.close(CLOSE_UNSUPPORTED_DATA, "binary messages only");
      return;
    }
    this.lastReceived = Date.now();
    const { messages, drops, fatal } = this.frames.push(new Uint8Array(data));
    for (const drop of drops) this.emit("drop", drop);
    for (const message of messages) {
      if (this.ws === ws) this.receive(ws, message);
    }
    if (fatal) ws.close(CLOSE_PROTOCOL_ERROR, fatal.code);
  }

  /** One message from the server: keepalive, control frame, or data. */
  private receive(ws: WebSocketLike, message: M): void {
    const protocol = this.options.protocol;
    const keepalive = protocol.keepalive;
    const kind = keepalive?.kind(message);
    if (kind === "ping") {
      if (isOpen(ws)) ws.send(protocol.encode((keepalive as { pong: M }).pong));
      return;
    }
    if (kind === "pong") return;
    const control = protocol.control?.decode(message);
    if (control !== undefined) {
      this.session?.receive(ws, control);
      return;
    }
    const session = this.session;
    // Data before any answer to the hello: the server does not speak sessions.
    if (session?.waiting(ws)) session.silent(ws);
    this.deliver(message);
    session?.delivered();
  }

  /** A data message: the reply to a request, or emitted as `message`. */
  private deliver(message: M): void {
    const session = this.session;
    const sequence = session?.held ? session.takeReply() : this.options.correlation.get(message);
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
      if (this.ws && isOpen(this.ws)) this.ws.send(ping);
    }, interval);
  }

  private stopHeartbeat(): void {
    if (this.heartbeatTimer !== undefined) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
  }

  /**
   * The connection is gone: requests on it fail (a session held sends them
   * again on the next one); retry, or close for good.
   */
  private lost(error: TaurusError): void {
    this.stopHeartbeat();
    const ws = this.ws;
    this.ws = undefined;
    this.frames = undefined;
    if (ws) this.session?.closed(ws);
    if (!this.session?.held) this.rejectPending(error);
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

  /** @returns how many requests were rejected */
  private rejectPending(error: TaurusError): number {
    const n = this.pending.size;
    for (const sequence of [...this.pending.keys()]) this.rejectOne(sequence, error);
    return n;
  }

  private rejectOne(sequence: number, error: TaurusError): void {
    const entry = this.pending.get(sequence);
    if (entry === undefined) return;
    this.pending.delete(sequence);
    clearTimeout(entry.timer);
    entry.reject(error);
  }

  private finish(error: TaurusError | undefined): WebClientCloseReport {
    this.current = "closed";
    this.stopHeartbeat();
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    const ws = this.ws;
    this.ws = undefined;
    ws?.close(1000);
    const closed = error ?? closedError("client closed");
    const report = { discarded: this.offline.length, rejectedRequests: this.rejectPending(closed) };
    this.report = report;
    this.offline = [];
    const session = this.session;
    const id = session?.id;
    const received = session?.inbox.received ?? 0;
    const unacknowledged = session?.dispose() ?? 0;
    const opened = this.opened;
    this.opened = undefined;
    opened?.reject(closed);
    // The session ends with the client: say what the server never confirmed.
    if (id !== undefined)
      this.emit("sessionLost", { id, reason: "closed", unacknowledged, received });
    this.emit("close", error);
    return report;
  }
}

function closedError(message: string): TaurusError {
  return new TaurusError("CONNECTION_CLOSED", message);
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

/** Whether `ws` takes sends (open, or a WebSocket-like without `readyState`). */
function isOpen(ws: WebSocketLike): boolean {
  return ws.readyState === undefined || ws.readyState === 1;
}
