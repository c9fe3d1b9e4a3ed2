import { EventEmitter } from "node:events";
import {
  Connection,
  type ConnectionMetricsSink,
  type ConnectionSocket,
  isTaurusError,
  MAX_TIMER,
  type Protocol,
  TaurusError,
} from "@taurus/core-conn";
import { ClientSessionCore } from "@taurus/core-conn/codec";
import { integerOption } from "@taurus/core-conn/internal";
import { ClientMetrics } from "@taurus/metrics";
import {
  abortable,
  type ClientCloseOptions,
  type ClientCloseReport,
  type ConnectOptions,
} from "./abort";
import { backoffDelay } from "./backoff";
import { ClientBeats } from "./client-beats";
import { ClientErrors } from "./client-errors";
import type { ClientConfig, ClientEvents, RequestOptions } from "./client-types";
import { attemptConnection } from "./connect-attempt";
import { publishConnect, publishReconnect, traceRequest } from "./diagnostics";
import type { ClientHandler } from "./handler";
import { MessageIterator } from "./message-iterator";
import { clientMetricsSink } from "./metrics-sink";
import { OfflineQueue } from "./offline-queue";
import { type ClientOptions, type ResolvedClientOptions, resolveClientOptions } from "./options";
import { PendingRequests } from "./requests";
import { type ResolvedClientSessionOptions, resolveClientSessionOptions } from "./session/options";
import { type ClientState, type ClientStats, StatsAccumulator } from "./stats";

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
  reject: (error: TaurusError) => void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (error: TaurusError) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function closedError(what: string, cause?: unknown): TaurusError {
  return new TaurusError("CONNECTION_CLOSED", what, cause === undefined ? undefined : { cause });
}

/**
 * A Taurus TCP (or TLS) client. Create it with {@link createClient}.
 *
 * It reconnects with exponential backoff and jitter when the connection drops
 * or cannot be established, keeps what is sent while disconnected in a bounded
 * offline queue (written first, in order, after reconnecting), detects dead
 * peers with optional heartbeats, matches replies to requests, and delivers
 * messages to handler callbacks, `message` events and async iterators.
 *
 * Delivery: nothing accepted by `send` is dropped silently and nothing is sent
 * twice by the client. Frames already handed to the socket when a connection
 * breaks may be lost (TCP cannot tell whether the peer got them); frames
 * still queued are sent again, first, on the next connection.
 *
 * @typeParam M - the message type of the protocol
 */
export class TaurusClient<M> extends EventEmitter<ClientEvents<M>> {
  /** The protocol spoken with the server. */
  readonly protocol: Protocol<M>;
  /** The resolved `session` option; `undefined` without sessions. */
  private readonly sessionOptions: ResolvedClientSessionOptions | undefined;
  /** The session, with the `session` option. */
  private readonly session: ClientSessionCore<M, Connection<M>> | undefined;
  /** The server's host. */
  readonly host: string;
  /** The server's port. */
  readonly port: number;
  /** The client's counters (messages, bytes, errors); `metrics.snapshot()` reads them all. */
  readonly metrics: ClientMetrics;

  private readonly options: ResolvedClientOptions<M>;
  private readonly handler: ClientHandler<M>;
  private readonly offline: OfflineQueue;
  private readonly pending: PendingRequests<M>;
  private readonly requestFrames = new WeakMap<Uint8Array, number>();
  private readonly iterators = new Set<MessageIterator<M>>();
  /** True while `onConnect` runs: its sends go ahead of the offline queue. */
  private inConnectHandler = false;
  private readonly counters = new StatsAccumulator();
  private readonly errors: ClientErrors<M>;
  private readonly sink: ConnectionMetricsSink;
  private readonly beats: ClientBeats<M>;
  private currentState: ClientState = "idle";
  private conn: Connection<M> | undefined;
  /** The connection whose session hello waits for the server's answer (not yet `conn`). */
  private hello: Connection<M> | undefined;
  private everConnected = false;
  private attempt = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private abortAttempt: (() => void) | undefined;
  private connectWaiter: Deferred | undefined;
  private fullIterators = 0;
  private closing: Promise<ClientCloseReport> | undefined;
  /** Requests rejected since `close()` was called (`undefined` before). */
  private rejectedOnClose: number | undefined;
  private offlineFlushed: (() => void) | undefined;

  /** @internal use {@link createClient} */
  constructor(config: ClientConfig<M>) {
    super();
    if (
      typeof config?.protocol?.encode !== "function" ||
      (typeof config.protocol.decode !== "function" &&
        typeof config.protocol.createDecoder !== "function")
    ) {
      throw new TaurusError("INVALID_OPTION", "option protocol must be a Protocol", {
        option: "protocol",
      });
    }
    this.protocol = config.protocol;
    this.options = resolveClientOptions(config.address, config, config.protocol.maxMessageSize);
    this.sessionOptions = resolveClientSessionOptions(config.session, config.protocol);
    this.session =
      this.sessionOptions === undefined
        ? undefined
        : new ClientSessionCore<M, Connection<M>>(this.sessionOptions, config.protocol, {
            write: (conn, message) => conn.sendControl(message),
            violated: (conn, reason) =>
              conn.destroy(
                new TaurusError(
                  "INVALID_FORMAT",
                  `the server broke the session protocol: ${reason}`,
                ),
              ),
            retry: (conn, reason) => conn.destroy(new TaurusError("HANDSHAKE_TIMEOUT", reason)),
            granted: (conn, id, resumed, resend, replayed) =>
              this.sessionGranted(conn, id, resumed, resend, replayed),
            unavailable: (conn, reason) => {
              this.established(conn);
              this.errors.emit("sessionUnavailable", reason);
            },
            lost: (info, dropped) => {
              // Requests that may have reached the lost session may never be answered: their
              // callers learn it. Those that never left the client go on in the next session.
              const error = closedError(
                `session ${info.id} lost (${info.reason}) before the reply`,
              );
              for (const sequence of dropped) this.pending.reject(sequence, error);
              this.errors.emit("sessionLost", info);
            },
          });
    this.host = this.options.host;
    this.port = this.options.port;
    this.handler = config.handler ?? {};
    this.metrics = config.metrics ?? new ClientMetrics();
    this.errors = new ClientErrors<M>(
      this,
      (error) => this.handler.onError?.(error, this),
      this.counters,
      this.metrics,
    );
    this.sink = clientMetricsSink(this.metrics);
    this.offline = new OfflineQueue(this.options.sendBufferSize, this.options.sendBufferBytes);
    this.pending = new PendingRequests<M>(this.options.maxPendingRequests, (error) =>
      this.errors.count(error),
    );
    this.beats = new ClientBeats<M>(this.options, this.protocol, {
      connection: () => this.conn,
      offlineWaiting: () => this.offline.length > 0,
      encode: (message) => this.encode(message),
      send: (frame) => this.sendFrame(frame, undefined),
      report: (error) => this.errors.report(error),
      session: () => this.session,
    });
  }

  /** `idle` (before `connect()`), `connecting`, `connected`, `reconnecting` or `closed`. */
  get state(): ClientState {
    return this.currentState;
  }

  /** The live connection, when connected. */
  get connection(): Connection<M> | undefined {
    return this.conn;
  }

  /** Requests waiting for their replies. */
  get pendingRequests(): number {
    return this.pending.size;
  }

  /** Messages waiting in the offline queue. */
  get queuedMessages(): number {
    return this.offline.length;
  }

  /** Counters summed over every connection of this client, and its state. */
  get stats(): ClientStats {
    return this.counters.snapshot(this.currentState, this.conn?.stats);
  }

  /**
   * Connects, retrying with backoff as configured. Calling it again while
   * connecting returns the same wait; once connected it resolves at once.
   *
   * @param options - `signal`, which gives up connecting and closes the client when aborted
   *   (see {@link ConnectOptions})
   * @returns a promise that resolves once connected
   * @throws `TaurusError` (as a rejection) `CONNECT_TIMEOUT` or `SOCKET`
   *   (with the socket error as `cause`) once retries are exhausted;
   *   `CONNECTION_CLOSED` when `close()` is called first or the client is closed;
   *   `ABORTED` (with the signal's reason as `cause`) when the signal aborts first
   */
  connect(options: ConnectOptions = {}): Promise<void> {
    if (this.currentState === "connected") return Promise.resolve();
    const signal = options.signal;
    if (signal) return abortable(this.connect(), signal, "connect()", () => void this.close());
    if (this.currentState === "closed" || this.closing) {
      return Promise.reject(closedError("client is closed"));
    }
    if (!this.connectWaiter) this.connectWaiter = deferred();
    const waiter = this.connectWaiter;
    if (this.currentState === "idle") {
      this.attempt = 0;
      this.startAttempt();
    }
    return waiter.promise;
  }

  /**
   * Sends a message. It is encoded at once (so a bad message throws here).
   * While connected it goes to the connection's send queue; while
   * disconnected (idle, connecting, reconnecting) it waits in the offline
   * queue and is written, in order, before anything else once connected.
   *
   * @throws `TaurusError` `CONNECTION_CLOSED` once `close()` was called;
   *   `SEND_QUEUE_FULL` when the send queue, the offline queue or the session's
   *   retransmit buffer is at its bound (the message is not accepted: nothing is
   *   queued, and the session does not count it); `INVALID_MESSAGE` or `MESSAGE_TOO_LARGE` from the encoder
   */
  send(message: M): void {
    this.assertOpen();
    this.sendFrame(this.encode(message), undefined);
  }

  /**
   * Sends a request and waits for its reply: the message is copied with a new
   * sequence number (a wrapping u32 counter that skips 0 and the sequences
   * still pending) and the first message carrying that number back is the
   * reply. Replies are not delivered to the handler, events or iterators.
   * A reply arriving after its request timed out or was aborted is delivered
   * as an ordinary message. With a session held, only the frame the server
   * marked as this request's reply settles it (never an ordinary message
   * with a colliding sequence), and the request stays pending across
   * reconnects; a lost session rejects it only if its frame may have reached
   * a server (one accepted while disconnected goes on in the next session;
   * see docs/DELIVERY.md).
   *
   * @param message - the request; it is not modified
   * @param options - `timeout` and `signal`
   * @returns the reply
   * @throws `TaurusError` (as a rejection) `REQUEST_TIMEOUT` when no reply
   *   came in time; `ABORTED` (with the signal's reason as `cause`);
   *   `CONNECTION_CLOSED` when the connection it was sent on closes first, or
   *   the client is closed; `TOO_MANY_PENDING` past `maxPendingRequests`;
   *   `INVALID_OPTION` for a bad timeout; and the errors of {@link TaurusClient.send}
   */
  request(message: M, options: RequestOptions = {}): Promise<M> {
    return traceRequest(this, message, () => this.sendRequest(message, options));
  }

  private async sendRequest(message: M, options: RequestOptions): Promise<M> {
    this.assertOpen();
    const timeout = integerOption(
      "timeout",
      options.timeout,
      this.options.requestTimeout,
      1,
      MAX_TIMER,
    );
    const signal = options.signal;
    if (signal?.aborted) {
      throw new TaurusError("ABORTED", "request aborted before it was sent", {
        cause: signal.reason,
      });
    }
    let sequence: number;
    try {
      sequence = this.pending.allocate();
    } catch (err) {
      this.errors.count(err as TaurusError);
      throw err;
    }
    const frame = this.encode(this.options.correlation.set(message, sequence));
    const reply = this.pending.add(sequence, frame, timeout, signal);
    this.requestFrames.set(frame, sequence);
    try {
      this.sendFrame(frame, sequence);
    } catch (err) {
      this.pending.reject(sequence, err as TaurusError);
    }
    return reply;
  }

  /**
   * Closes the client: stops reconnecting (a scheduled retry or a connect in
   * flight is cancelled), writes out everything accepted on the live
   * connection (the offline queue first, then the send queue), ends it and
   * waits for the server to close its side (at most `closeTimeout`). Messages
   * still in the offline queue when there is no connection are discarded
   * (counted in `stats.discarded`). Pending requests reject with
   * `CONNECTION_CLOSED`, iterators end, and `close` is emitted. Calling it
   * again returns the same promise.
   *
   * @param options - `signal`, which closes the connection at once when aborted (see {@link ClientCloseOptions})
   * @returns a promise that resolves once closed, with what was discarded
   *   (see {@link ClientCloseReport}); it never rejects
   */
  close(options: ClientCloseOptions = {}): Promise<ClientCloseReport> {
    if (!this.closing) {
      this.rejectedOnClose = 0;
      this.closing = this.shutdown();
    }
    const signal = options.signal;
    if (signal) void abortable(this.closing, signal, "close()", this.cutClose).catch(noop);
    return this.closing;
  }

  /**
   * Immediate close, as `Connection.destroy()` is to `close()`: stops reconnecting and
   * closes the live connection at once, without flushing what is queued (counted in the
   * report's `discarded` and in `stats.discarded`). The same as `close()` with an aborted
   * signal; after a `close()`, it cuts that close short and returns the same promise.
   *
   * @returns as {@link TaurusClient.close}; it never rejects
   */
  destroy(): Promise<ClientCloseReport> {
    const closing = this.close();
    this.cutClose();
    return closing;
  }

  /** For `await using`: the graceful {@link TaurusClient.close}. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** A `close` signal aborted: the live connection closes now. */
  private readonly cutClose = (): void => {
    this.dropHello();
    this.conn?.destroy(closedError("close() was aborted"));
  };

  /**
   * The client closes while a session hello waits for its answer: that connection
   * (not yet the live one) is destroyed, and not retried.
   */
  private dropHello(): void {
    const hello = this.hello;
    this.hello = undefined;
    hello?.destroy(closedError("the client closed before the session hello was answered"));
  }

  /**
   * Iterates over incoming messages (as the `message` event sees them), in
   * order. Each iterator buffers at most `iteratorHighWaterMark` messages:
   * when full, the connection stops reading until it is drained to half.
   * The iteration ends when the client closes.
   *
   * @returns an async iterator of messages
   */
  [Symbol.asyncIterator](): AsyncIterableIterator<M> {
    const iterator = new MessageIterator<M>(
      this.options.iteratorHighWaterMark,
      this.onIteratorFull,
      this.onIteratorDrained,
      (it) => this.iterators.delete(it),
    );
    if (this.currentState === "closed") iterator.end();
    else this.iterators.add(iterator);
    return iterator;
  }

  // ---------------------------------------------------------------- sending

  private assertOpen(): void {
    if (this.currentState === "closed" || this.closing) {
      throw closedError(`client is ${this.closing ? "closing" : "closed"}`);
    }
  }

  private encode(message: M): Uint8Array {
    let frame: Uint8Array;
    try {
      frame = this.protocol.encode(message);
    } catch (err) {
      const error = isTaurusError(err)
        ? err
        : new TaurusError("INVALID_MESSAGE", `cannot encode message: ${String(err)}`, {
            cause: err,
          });
      this.errors.count(error);
      throw error;
    }
    const max = this.options.maxMessageSize;
    if (frame.length > max) {
      const error = new TaurusError(
        "MESSAGE_TOO_LARGE",
        `frame of ${frame.length} bytes exceeds maxMessageSize ${max}`,
      );
      this.errors.count(error);
      throw error;
    }
    return frame;
  }

  private sendFrame(frame: Uint8Array, sequence: number | undefined): void {
    const conn = this.conn;
    const live = conn !== undefined && conn.state === "open";
    // Counted by the session unless written on a connection that has none (refused, or a
    // silent server), or queued behind what waits for it: there nothing is sent again, so
    // nothing is kept (what is left when it closes is counted then, in order: `adoptOffline`).
    const session =
      this.session !== undefined && (conn === undefined || this.session.held)
        ? this.session
        : undefined;
    if (session !== undefined && !session.fits(frame)) {
      // Acknowledgements free room: the caller may try again, the session goes on.
      this.refuse(
        "the session's retransmit buffer is full (session.maxBufferedMessages or maxBufferedBytes)",
      );
    }
    // A request on a session is flagged, so that the server marks its reply (and only it).
    const flag = sequence !== undefined && session?.active === true ? session.flag : undefined;
    const frames = flag === undefined ? 1 : 2;
    const bytes = frame.length + (flag?.length ?? 0);
    // A refused frame leaves no trace: neither counted by the session nor half queued (a
    // request's flag without its frame), so room for both is checked before anything.
    if (live && (this.offline.length === 0 || this.inConnectHandler)) {
      if (flag !== undefined && !this.sendQueueFits(conn, frames, bytes)) {
        this.refuse(`send queue (${conn.queuedMessages} messages) is full`);
      }
      if (flag !== undefined) conn.sendEncoded(flag);
      conn.sendEncoded(frame); // SEND_QUEUE_FULL is counted by the connection
      session?.accepted(frame, sequence);
      if (sequence !== undefined) this.pending.markSent(sequence, frame, conn);
      return;
    }
    if (!this.offline.fits(frames, bytes)) {
      this.refuse(
        `offline queue is full (${this.offline.length} messages, ${this.offline.byteLength} bytes)`,
      );
    }
    session?.accepted(frame, sequence);
    if (flag !== undefined) this.offline.push(flag);
    this.offline.push(frame);
  }

  /** Refuses a frame `send()` was given: `what` has no room. @throws `SEND_QUEUE_FULL`, counted */
  private refuse(what: string): never {
    const error = new TaurusError("SEND_QUEUE_FULL", what);
    this.errors.count(error);
    throw error;
  }

  /** Whether `conn`'s send queue takes `frames` more frames of `bytes` bytes in all. */
  private sendQueueFits(conn: Connection<M>, frames: number, bytes: number): boolean {
    // The send queue's bytes: what the connection buffers, less the socket's own buffer.
    const queued = conn.bufferedAmount - conn.socket.writableLength;
    return (
      conn.queuedMessages + frames <= this.options.sendBufferSize &&
      queued + bytes <= this.options.sendBufferBytes
    );
  }

  /** Writes the offline queue to the live connection, in order, until its send queue pushes back. */
  private flushOffline(): void {
    const conn = this.conn;
    if (conn?.state !== "open") return;
    const offline = this.offline;
    for (let frame = offline.peek(); frame !== undefined; frame = offline.peek()) {
      // A request flag queued for a session that did not come (a Go server): not for it.
      if (this.session !== undefined && !this.session.held && frame === this.session.flag) {
        offline.shift();
        continue;
      }
      const sequence = this.requestFrames.get(frame);
      // With a session every accepted frame is counted, and goes out.
      if (
        sequence !== undefined &&
        !this.session?.active &&
        !this.pending.isPending(sequence, frame)
      ) {
        // Its request already timed out or was aborted: the caller knows; do not send it.
        offline.shift();
        continue;
      }
      let more: boolean;
      try {
        more = conn.sendEncoded(frame);
      } catch {
        return; // full: the connection emits `drain` once it has room again
      }
      offline.shift();
      if (sequence !== undefined) this.pending.markSent(sequence, frame, conn);
      if (!more) return;
    }
    const flushed = this.offlineFlushed;
    this.offlineFlushed = undefined;
    flushed?.();
  }

  // ------------------------------------------------------------- connecting

  private setState(state: ClientState): void {
    const previous = this.currentState;
    if (previous === state) return;
    this.currentState = state;
    this.errors.emit("state", state, previous);
  }

  private startAttempt(): void {
    this.setState(this.everConnected || this.attempt > 0 ? "reconnecting" : "connecting");
    attemptConnection(this.options, {
      abortable: (abort) => {
        this.abortAttempt = abort;
      },
      ready: (socket) => this.onConnected(socket),
      failed: (error) => this.attemptFailed(error),
    });
  }

  private attemptFailed(error: TaurusError): void {
    this.errors.count(error);
    if (this.currentState === "closed" || this.closing) return;
    this.scheduleRetry(error);
  }

  private scheduleRetry(error: TaurusError): void {
    const o = this.options;
    this.attempt++;
    if (this.attempt > o.maxRetries) {
      this.finish(error);
      return;
    }
    const delay = backoffDelay(this.attempt, o.retryDelay, o.maxRetryDelay, o.random);
    this.setState("reconnecting");
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.startAttempt();
    }, delay);
    publishReconnect(this as TaurusClient<unknown>, this.attempt, delay, error);
    this.errors.emit("reconnecting", { attempt: this.attempt, delay, error });
  }

  private onConnected(socket: ConnectionSocket): void {
    const o = this.options;
    const conn = new Connection(socket, this.protocol, {
      maxMessageSize: o.maxMessageSize,
      sendQueueSize: o.sendBufferSize,
      sendQueueBytes: o.sendBufferBytes,
      idleTimeout: o.idleTimeout,
      metrics: this.sink,
    });
    conn.on("message", (message) => {
      if (this.session?.waiting(conn)) this.session.silent(conn);
      this.onMessage(message);
    });
    conn.on("drop", (error) => this.errors.report(error));
    conn.on("drain", () => this.flushOffline());
    conn.on("end", () => void conn.close());
    conn.on("close", (error) => this.onConnectionClose(conn, error));
    // The backoff restarts only once the server has answered: a frozen process
    // whose kernel still completes handshakes must not reset it on every connect.
    socket.once("data", () => {
      if (conn.state === "open" && !this.closing) this.attempt = 0;
    });
    if (this.session) {
      // Up only once the server answered the hello (or stayed silent for helloTimeout).
      const session = this.session;
      conn.attachSession({
        sent: () => undefined, // the client counts what it accepts, in `sendFrame`
        sendAfterClose: () => false,
        control: (frame) => session.receive(conn, frame),
      });
      this.hello = conn;
      session.start(conn);
      return;
    }
    this.established(conn);
  }

  /**
   * The session was granted on `conn`: what the server did not process goes first. The
   * offline queue holds nothing else (what a connection without a session left there was
   * counted when it closed), so `resend` replaces it.
   */
  private sessionGranted(
    conn: Connection<M>,
    id: string,
    resumed: boolean,
    resend: Uint8Array[],
    replayed: number,
  ): void {
    this.offline.clear();
    this.offline.unshift(resend);
    this.established(conn, resumed);
    this.errors.emit("session", { id, resumed, replayed });
  }

  /**
   * A connection without a session closed: what it left in the offline queue (never
   * handed to its socket) is counted by the session now, ahead of what is sent from now
   * on, so that a session granted next sends it first, in order (and replays it after a
   * cut). A connection that gets no session sends it as plain frames again.
   */
  private adoptOffline(): void {
    const session = this.session;
    if (session === undefined || session.held || this.offline.length === 0) return;
    const frames: Uint8Array[] = [];
    for (let frame = this.offline.shift(); frame !== undefined; frame = this.offline.shift()) {
      // A flag queued for a session that ended: the session flags its requests again.
      if (frame !== session.flag) frames.push(frame);
    }
    for (const frame of frames) {
      const sequence = this.requestFrames.get(frame);
      const pending = sequence !== undefined && this.pending.isPending(sequence, frame);
      session.accepted(frame, pending ? sequence : undefined);
    }
    this.offline.unshift(frames);
  }

  /** The connection is up: the server answered (or sessions are off). */
  private established(conn: Connection<M>, resumed = false): void {
    if (conn.state !== "open") return;
    if (this.hello === conn) this.hello = undefined;
    this.conn = conn;
    if (this.fullIterators > 0) conn.pause();
    if (this.everConnected) this.counters.reconnects++;
    this.everConnected = true;
    this.setState("connected");
    publishConnect(
      this as TaurusClient<unknown>,
      conn as Connection<unknown>,
      this.counters.reconnects > 0,
    );
    this.beats.start(conn);
    // What onConnect sends synchronously (a handshake: login, join) goes out
    // before the offline queue; everything else keeps its order behind it.
    // With a session, frames keep the order they were accepted in (the
    // session counts them so), and a resumed session needs no new handshake.
    if (!resumed) {
      this.inConnectHandler = this.session?.id === undefined;
      try {
        this.errors.call(() => this.handler.onConnect?.(this));
      } finally {
        this.inConnectHandler = false;
      }
    }
    this.flushOffline();
    this.beats.probe();
    this.errors.emit("connect");
    const waiter = this.connectWaiter;
    this.connectWaiter = undefined;
    waiter?.resolve();
  }

  private onConnectionClose(conn: Connection<M>, error: TaurusError | undefined): void {
    this.session?.closed(conn);
    if (this.conn !== conn) {
      // A session connection closed before the server answered its hello: retry
      // (unless the client closes: it dropped that connection).
      if (this.hello !== conn) return;
      this.hello = undefined;
      if (this.conn === undefined && !this.closing && this.currentState !== "closed") {
        this.attemptFailed(
          error ?? closedError(`${this.host}:${this.port} closed before answering`),
        );
      }
      return;
    }
    this.conn = undefined;
    this.beats.stop();
    // The backoff restarts only if the server answered on this connection: a frozen
    // process whose kernel still completes handshakes must not reset it on every connect.
    if (conn.stats.bytesIn > 0) this.attempt = 0;
    this.counters.add(conn.stats);
    const unsent = conn.takeUnsent();
    // A session sends its requests again on the next connection: they stay pending (item 6).
    if (!this.session?.held) {
      const rejected = this.pending.rejectSentOn(
        conn,
        closedError("the connection closed before the reply", error),
      );
      if (this.rejectedOnClose !== undefined) this.rejectedOnClose += rejected.size;
    }
    // Frames of requests rejected above (or timed out) are not sent again: their callers know.
    const keep = unsent.filter((frame) => {
      const sequence = this.requestFrames.get(frame);
      return sequence === undefined || this.pending.isPending(sequence, frame);
    });
    this.offline.unshift(keep);
    if (!this.closing && this.currentState !== "closed") this.adoptOffline();
    const flushed = this.offlineFlushed;
    this.offlineFlushed = undefined;
    flushed?.();
    this.errors.emit("disconnect", error);
    this.errors.call(() => this.handler.onDisconnect?.(error, this));
    if (this.closing || this.currentState === "closed") return;
    this.scheduleRetry(error ?? closedError(`${this.host}:${this.port} closed the connection`));
  }

  // ---------------------------------------------------------------- closing

  private async shutdown(): Promise<ClientCloseReport> {
    const discardedBefore = this.counters.discarded;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.abortAttempt?.();
    this.dropHello();
    this.beats.stop();
    const waiter = this.connectWaiter;
    this.connectWaiter = undefined;
    waiter?.reject(closedError("close() was called before the client connected"));
    const conn = this.conn;
    if (conn) {
      let timer: NodeJS.Timeout | undefined;
      if (this.options.closeTimeout > 0) {
        timer = setTimeout(
          () => conn.destroy(closedError(`close timeout (${this.options.closeTimeout} ms) passed`)),
          this.options.closeTimeout,
        );
      }
      if (this.offline.length > 0 && conn.state === "open") {
        await new Promise<void>((resolve) => {
          this.offlineFlushed = resolve;
        });
      }
      // Keep reading so the server's end of stream is seen and the socket closes.
      conn.resume();
      await conn.close();
      clearTimeout(timer);
    }
    this.finish(undefined);
    return {
      discarded: this.counters.discarded - discardedBefore,
      rejectedRequests: this.rejectedOnClose ?? 0,
    };
  }

  /** The end: state `closed`, everything waiting settled, `close` emitted. */
  private finish(error: TaurusError | undefined): void {
    if (this.currentState === "closed") return;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.beats.stop();
    this.counters.discarded += this.offline.clear();
    const sessionId = this.session?.id;
    const unacknowledged = this.session?.dispose() ?? 0;
    this.setState("closed");
    const waiter = this.connectWaiter;
    this.connectWaiter = undefined;
    waiter?.reject(error ?? closedError("client closed"));
    const rejected = this.pending.rejectSentOn(
      undefined,
      closedError("client closed before the reply", error),
    );
    if (this.rejectedOnClose !== undefined) this.rejectedOnClose += rejected.size;
    for (const iterator of [...this.iterators]) iterator.end();
    this.iterators.clear();
    if (sessionId !== undefined) {
      // The session ends with the client: say what the server never confirmed.
      const received = this.session?.inbox.received ?? 0;
      this.errors.emit("sessionLost", {
        id: sessionId,
        reason: "closed",
        unacknowledged,
        received,
      });
    }
    this.errors.emit("close", error);
  }

  // -------------------------------------------------------------- receiving

  private onMessage(message: M): void {
    if (this.isReply(message)) {
      this.session?.delivered();
      return;
    }
    const isReply = this.options.heartbeat?.isReply;
    if (isReply) {
      try {
        if (isReply(message)) {
          this.session?.delivered();
          return;
        }
      } catch (err) {
        this.errors.report(
          new TaurusError("HANDLER_FAILED", `heartbeat.isReply failed: ${String(err)}`, {
            cause: err,
          }),
        );
      }
    }
    this.errors.emit("message", message);
    this.errors.call(() => this.handler.onMessage?.(message, this));
    for (const iterator of this.iterators) iterator.push(message);
    this.session?.delivered();
  }

  /**
   * Settles the request `message` answers, if any. With a session held, only
   * a frame the server marked as the reply to that request's frame does
   * (item 6); without one, the first message carrying its correlation does.
   */
  private isReply(message: M): boolean {
    const session = this.session;
    if (session?.held) {
      const sequence = session.takeReply();
      return sequence !== undefined && this.pending.resolve(sequence, message);
    }
    let sequence: number | undefined;
    try {
      sequence = this.options.correlation.get(message);
    } catch (err) {
      this.errors.report(
        new TaurusError("HANDLER_FAILED", `correlation.get failed: ${String(err)}`, { cause: err }),
      );
    }
    return sequence !== undefined && sequence !== 0 && this.pending.resolve(sequence, message);
  }

  private readonly onIteratorFull = (): void => {
    this.fullIterators++;
    if (this.fullIterators === 1) this.conn?.pause();
  };

  private readonly onIteratorDrained = (): void => {
    this.fullIterators--;
    if (this.fullIterators === 0) this.conn?.resume();
  };
}

function noop(): void {}

/**
 * Creates a Taurus client. It does not connect until {@link TaurusClient.connect}
 * is called; messages sent before that wait in the offline queue.
 *
 * @param config - the address, protocol, handler and options (see {@link ClientOptions} for defaults)
 * @returns a client in state `idle`
 * @throws `TaurusError` `INVALID_OPTION` for a bad address or an option out of range, naming it
 *
 * @example
 * ```ts
 * const client = createClient({
 *   address: "127.0.0.1:9000",
 *   protocol: createJsonProtocol(),
 *   handler: { onMessage: (msg) => console.log(msg.type, msg.data) },
 * });
 * await client.connect();
 * client.send({ type: 1, sequence: 1, data: { hello: "world" }, timestamp: 0n });
 * await client.close();
 * ```
 */
export function createClient<M>(config: ClientConfig<M>): TaurusClient<M> {
  return new TaurusClient(config);
}
