import { randomBytes } from "node:crypto";
import { EventEmitter } from "node:events";
import type { Duplex } from "node:stream";
import { type ErrorCode, ErrorCodes, TaurusError } from "./errors";
import { FrameReader } from "./frame-reader";
import {
  type ConnectionOptions,
  type ResolvedConnectionOptions,
  resolveConnectionOptions,
} from "./options";
import { type Drop, dropReasonCode, type Fatal, type Protocol } from "./protocol";
import { SendQueue } from "./send-queue";
import { type ConnectionStats, newConnectionStats } from "./stats";

/**
 * Connection ids: a random prefix per process and a counter, short enough
 * (12 characters up to 60 million connections) to stay one flat string.
 */
const ID_PREFIX = randomBytes(3).toString("hex");
let lastId = 0;
const nextId = (): string => `${ID_PREFIX}-${(++lastId).toString(36)}`;

const NO_FRAMES: Uint8Array[] = [];

/** The life of a {@link Connection}: `open`, then `closing` after `end()`, then `closed`. */
export type ConnectionState = "open" | "closing" | "closed";

/** The events of a {@link Connection} and their arguments. */
export interface ConnectionEvents<M> {
  /** The socket is connected (emitted on the next tick when it already was). */
  connect: [];
  /** A message was decoded; `size` is its frame's length in bytes. Messages arrive in order. */
  message: [message: M, size: number];
  /** Inbound bytes were dropped; the error's code tells why. The connection stays open. */
  drop: [error: TaurusError];
  /**
   * The peer has finished sending (it half-closed). When nothing listens to
   * this event the connection calls {@link Connection.end} itself; a listener
   * takes that over (a server finishes its handlers first, then ends).
   */
  end: [];
  /** The send queue has emptied after a `send` returned `false`. */
  drain: [];
  /**
   * A fatal error; `close` follows. Emitted only when a listener is attached
   * (an unhandled `error` event would crash the process); `close` carries the
   * error either way.
   */
  error: [error: TaurusError];
  /** The connection is closed: emitted exactly once, with the error that closed it, if any. */
  close: [error: TaurusError | undefined];
}

/**
 * The socket types a {@link Connection} can run over: a `net.Socket`, a
 * `tls.TLSSocket`, or any Duplex (such as the in-memory pair of
 * `@taurus/core-conn/testing`). Address fields are read when present.
 */
export type ConnectionSocket = Duplex & {
  /** The peer's IP address, as `net.Socket` has it. */
  remoteAddress?: string | undefined;
  /** The peer's port. */
  remotePort?: number | undefined;
  /** The local IP address. */
  localAddress?: string | undefined;
  /** The local port. */
  localPort?: number | undefined;
  /** `true` while a TCP connect is in progress; the connection then waits for `connect`. */
  connecting?: boolean;
};

/**
 * A framed, bidirectional message connection over a socket, shared by the
 * server and the client.
 *
 * Inbound: every complete frame of every chunk is decoded and emitted as a
 * `message`, in order; drops are counted and emitted as `drop`; buffered bytes
 * never exceed `maxMessageSize` plus one chunk. `pause()` stops delivery at
 * once, even in the middle of a chunk, and stops reading the socket. A fatal
 * decode result stops delivery at once and closes the connection with the
 * error code its reason maps to (`close` carries it).
 *
 * End of stream: when the peer half-closes, what is complete is delivered,
 * a truncated frame is reported as a drop, and `end` is emitted (or, with no
 * listener, the connection ends itself after flushing its queue). Create TCP
 * sockets with `allowHalfOpen: true` so that this flush can happen; with other
 * sockets Node ends the socket itself when the peer does.
 *
 * Outbound: `send` encodes at once (so a bad message throws before anything
 * reaches the wire), queues the frame in a bounded queue, and frames are
 * coalesced into few socket writes at the end of the tick.
 *
 * @typeParam M - the message type of the protocol
 *
 * @example
 * ```ts
 * const conn = new Connection(socket, createBinaryProtocol(), { idleTimeout: 60_000 });
 * conn.on("message", (msg) => conn.send({ ...msg, type: msg.type + 1 }));
 * conn.on("close", (err) => console.log("closed", err?.code));
 * ```
 */
export class Connection<M> extends EventEmitter<ConnectionEvents<M>> {
  /** An id unique within the process (a random per-process prefix and a counter), unless the `id` option was given. */
  readonly id: string;
  /** The protocol of this connection. */
  readonly protocol: Protocol<M>;
  /** The socket this connection runs over. */
  readonly socket: ConnectionSocket;
  private attributeMap: Map<string, unknown> | undefined;
  /** Counters of this connection. */
  readonly stats: ConnectionStats = newConnectionStats();
  /** The largest frame accepted or sent on this connection, in bytes. */
  readonly maxMessageSize: number;

  private readonly options: ResolvedConnectionOptions;
  private readonly reader: FrameReader<M>;
  private readonly queue: SendQueue;
  private currentState: ConnectionState = "open";
  private paused = false;
  private delivering = false;
  private needDrain = false;
  private gotFirstByte = false;
  private peerEnded = false;
  private peerEndHandled = false;
  private socketClosed = false;
  private lastActivity = performance.now();
  private idleTimer: NodeJS.Timeout | undefined;
  private firstByteTimer: NodeJS.Timeout | undefined;
  private closeError: TaurusError | undefined;
  private endWaiters: Array<() => void> | undefined;
  private unsent: Uint8Array[] = NO_FRAMES;

  /**
   * @param socket - a connected (or connecting) socket, or any Duplex
   * @param protocol - the wire protocol spoken on it
   * @param options - limits and timeouts, see {@link ConnectionOptions}
   * @throws {@link TaurusError} `INVALID_OPTION` for an option out of range
   */
  constructor(socket: ConnectionSocket, protocol: Protocol<M>, options: ConnectionOptions = {}) {
    super();
    this.options = resolveConnectionOptions(options, protocol.maxMessageSize);
    this.id = this.options.id ?? nextId();
    this.protocol = protocol;
    this.socket = socket;
    this.maxMessageSize = this.options.maxMessageSize;
    this.reader = new FrameReader(protocol, this.maxMessageSize);
    this.queue = new SendQueue(
      socket,
      this.options.writeHighWaterMark,
      this.onFlushed,
      this.onQueueEmpty,
    );

    socket.on("data", this.onData);
    socket.on("end", this.onEnd);
    socket.on("error", this.onSocketError);
    socket.on("close", this.onSocketClose);
    if (socket.connecting) socket.once("connect", () => this.onConnect());
    else process.nextTick(Connection.connected, this);
    this.armTimers();
  }

  /** Free-form per-connection attributes for the application (user name, session...), created on first use. */
  get attributes(): Map<string, unknown> {
    this.attributeMap ??= new Map();
    return this.attributeMap;
  }

  /** `open`, `closing` (after {@link Connection.end}) or `closed`. */
  get state(): ConnectionState {
    return this.currentState;
  }

  /** The peer's IP address, when the socket has one. */
  get remoteAddress(): string | undefined {
    return this.socket.remoteAddress;
  }

  /** The peer's port, when the socket has one. */
  get remotePort(): number | undefined {
    return this.socket.remotePort;
  }

  /** The local IP address, when the socket has one. */
  get localAddress(): string | undefined {
    return this.socket.localAddress;
  }

  /** The local port, when the socket has one. */
  get localPort(): number | undefined {
    return this.socket.localPort;
  }

  /** Bytes accepted by `send` and not yet written out: the send queue plus the socket's own buffer. */
  get bufferedAmount(): number {
    return this.queue.byteLength + this.socket.writableLength;
  }

  /** Messages waiting in the send queue. */
  get queuedMessages(): number {
    return this.queue.length;
  }

  /** Whether delivery of inbound messages is paused. */
  get isPaused(): boolean {
    return this.paused;
  }

  /**
   * Encodes `message` and queues it for sending. With a protocol that has
   * `encodedLength` and `encodeInto`, the frame is written straight into the
   * outgoing batch.
   *
   * @returns `true` while the queue is below half of its bounds, `false` when
   *   the caller should wait for the `drain` event before sending more
   * @throws {@link TaurusError} `CONNECTION_CLOSED` once `end()` or `close()`
   *   was called; `SEND_QUEUE_FULL` when the queue is at its message or byte
   *   bound (nothing is queued); `INVALID_MESSAGE` or `MESSAGE_TOO_LARGE` from
   *   the protocol's encoder
   */
  send(message: M): boolean {
    this.assertOpen();
    const protocol = this.protocol;
    if (protocol.encodeInto !== undefined && protocol.encodedLength !== undefined) {
      return this.sendFrame(protocol.encodedLength(message), undefined, message);
    }
    const frame = protocol.encode(message);
    return this.sendFrame(frame.length, frame);
  }

  /**
   * Queues an already encoded frame, as `broadcast` does to encode once and
   * write many times. The bytes must be one or more whole frames of this
   * connection's protocol, and must not be modified afterwards.
   *
   * @returns as {@link Connection.send}
   * @throws {@link TaurusError} as {@link Connection.send}
   */
  sendEncoded(frame: Uint8Array): boolean {
    this.assertOpen();
    return this.sendFrame(frame.length, frame);
  }

  /**
   * Stops delivering messages, at once (even in the middle of a chunk), and
   * stops reading from the socket, so TCP pushes back on the peer. Nothing is
   * dropped.
   */
  pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.socket.pause();
  }

  /** Resumes delivery of buffered messages, then reading from the socket. */
  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    if (this.currentState === "closed") return;
    if (!this.delivering) this.deliver();
    if (!this.paused && !this.peerEnded) this.socket.resume();
  }

  /**
   * Graceful close: refuses new sends, writes out everything already
   * accepted, then ends the socket. Messages keep arriving until the peer
   * closes its side.
   *
   * @returns a promise that resolves once the connection is closed; it never rejects
   */
  end(): Promise<void> {
    if (this.currentState === "closed") return Promise.resolve();
    const done = new Promise<void>((resolve) => {
      this.endWaiters ??= [];
      this.endWaiters.push(resolve);
    });
    if (this.currentState === "open") {
      this.currentState = "closing";
      if (this.queue.length === 0) this.socket.end();
      else this.queue.flush();
    }
    return done;
  }

  /**
   * Closes at once: discards the send queue and destroys the socket. Emits
   * `close` exactly once; later calls do nothing.
   *
   * @param error - the reason, reported by the `close` event (and `error`, when listened to)
   */
  close(error?: TaurusError): void {
    if (this.currentState === "closed") return;
    if (error) this.fail(error);
    this.socket.destroy();
    // Some Duplex implementations emit no 'close' after destroy(); finish here.
    this.finish();
  }

  /**
   * After `close`, takes the frames that were accepted by `send` but never
   * handed to the socket, in order, so that a client can send them again on a
   * new connection without any duplicate. Frames already handed to the socket
   * are not included: whether the peer got them is unknown. A frame given to
   * `sendEncoded` comes back as the same object; frames that `send` wrote
   * straight into the outgoing batch may come back joined (each item is one or
   * more whole frames).
   *
   * @returns the unsent frames; empty before the connection is closed and on later calls
   */
  takeUnsent(): Uint8Array[] {
    const frames = this.unsent;
    this.unsent = NO_FRAMES;
    return frames === NO_FRAMES ? [] : frames;
  }

  private assertOpen(): void {
    if (this.currentState !== "open") {
      throw new TaurusError("CONNECTION_CLOSED", `connection ${this.id} is ${this.currentState}`);
    }
  }

  /** Queues `frame`, or without one, writes the `size` bytes of `message` with `encodeInto`. */
  private sendFrame(size: number, frame: Uint8Array | undefined, message?: M): boolean {
    const { sendQueueSize, sendQueueBytes, maxMessageSize } = this.options;
    if (size > maxMessageSize) {
      this.countError("MESSAGE_TOO_LARGE");
      throw new TaurusError(
        "MESSAGE_TOO_LARGE",
        `frame of ${size} bytes exceeds maxMessageSize ${maxMessageSize}`,
      );
    }
    const queue = this.queue;
    if (queue.length >= sendQueueSize || queue.byteLength + size > sendQueueBytes) {
      this.needDrain = true;
      const error = new TaurusError(
        "SEND_QUEUE_FULL",
        `send queue of connection ${this.id} is full (${queue.length} messages, ${queue.byteLength} bytes)`,
      );
      if (this.options.slowConsumerPolicy === "disconnect") this.close(error);
      else this.countError("SEND_QUEUE_FULL");
      throw error;
    }
    if (frame !== undefined) queue.push(frame);
    else queue.pushEncoded(this.protocol as Required<Protocol<M>>, message as M, size);
    this.options.metrics?.queueDepthChanged?.(1);
    if (queue.length * 2 > sendQueueSize || queue.byteLength * 2 > sendQueueBytes) {
      this.needDrain = true;
      return false;
    }
    return true;
  }

  private countError(code: ErrorCode): void {
    const kind = ErrorCodes[code];
    this.stats.errors[kind]++;
    this.options.metrics?.error(kind, code);
  }

  // Tick and timer callbacks that take the connection as an argument: no closure per connection.
  private static connected(conn: Connection<unknown>): void {
    conn.onConnect();
  }

  private static idleCheck(conn: Connection<unknown>): void {
    conn.checkIdle();
  }

  private onConnect(): void {
    if (this.currentState !== "closed") this.emit("connect");
  }

  private readonly onData = (chunk: Buffer): void => {
    this.stats.bytesIn += chunk.length;
    if (!this.gotFirstByte) {
      this.gotFirstByte = true;
      clearTimeout(this.firstByteTimer);
      this.firstByteTimer = undefined;
    }
    this.reader.push(chunk);
    if (!this.paused && !this.delivering) this.deliver();
  };

  /** Decodes and emits buffered frames until none is complete, or delivery is paused or the connection closed. */
  private deliver(): void {
    this.delivering = true;
    const before = this.stats.messagesIn;
    try {
      const reader = this.reader;
      while (!this.paused && this.currentState !== "closed") {
        const result = reader.next();
        if (result === undefined || result.kind === "need_more") break;
        if (result.kind === "message") {
          this.stats.messagesIn++;
          this.options.metrics?.messageReceived(result.consumed);
          this.emit("message", result.message, result.consumed);
        } else if (result.kind === "drop") {
          this.onDrop(result);
        } else {
          this.onFatal(result);
        }
      }
    } finally {
      this.delivering = false;
      // Only whole messages count as activity: a peer that drips a frame byte
      // by byte, or sends garbage, is idle (slowloris).
      if (this.stats.messagesIn !== before) this.lastActivity = performance.now();
    }
    if (this.peerEnded && !this.peerEndHandled && !this.paused && this.currentState !== "closed") {
      this.finishInbound();
    }
  }

  private onDrop(drop: Drop): void {
    if (drop.continues === true) return; // the rest of a drop already reported
    const code = dropReasonCode(drop.reason);
    this.stats.drops[drop.reason]++;
    this.stats.errors.protocol++;
    this.options.metrics?.error("protocol", code);
    if (this.listenerCount("drop") > 0) {
      const detail = drop.detail ? `: ${drop.detail}` : "";
      this.emit(
        "drop",
        new TaurusError(code, `dropped ${drop.consumed} bytes (${drop.reason})${detail}`),
      );
    }
  }

  /** The protocol cannot go on: stop delivering and close with the mapped code. */
  private onFatal(fatal: Fatal): void {
    const detail = fatal.detail ? `: ${fatal.detail}` : "";
    this.close(
      new TaurusError(
        dropReasonCode(fatal.reason),
        `protocol ${this.protocol.name} cannot go on (${fatal.reason})${detail}`,
      ),
    );
  }

  private readonly onEnd = (): void => {
    this.peerEnded = true;
    if (!this.paused && !this.delivering) this.deliver();
  };

  /** Runs once the peer has ended and every complete frame was delivered. */
  private finishInbound(): void {
    this.peerEndHandled = true;
    // What is left is a frame that will never complete (Netty's decodeLast).
    const left = this.reader.clear();
    if (left > 0) {
      this.onDrop({
        kind: "drop",
        consumed: left,
        reason: "invalid_format",
        detail: "truncated frame at end of stream",
      });
    }
    if (this.socketClosed) {
      this.finish();
      return;
    }
    if (this.listenerCount("end") > 0) this.emit("end");
    else void this.end();
  }

  private readonly onSocketError = (err: Error): void => {
    this.fail(new TaurusError("SOCKET", err.message, { cause: err }));
  };

  private readonly onSocketClose = (): void => {
    // A clean close can come while complete frames still wait for a paused
    // consumer: deliver them first, then finish (see finishInbound).
    if (!this.closeError && this.peerEnded && !this.peerEndHandled && this.reader.buffered > 0) {
      this.socketClosed = true;
      return;
    }
    this.finish();
  };

  private readonly onFlushed = (messages: number, bytes: number): void => {
    this.stats.messagesOut += messages;
    this.stats.bytesOut += bytes;
    this.lastActivity = performance.now();
    this.options.metrics?.messagesSent(messages, bytes);
  };

  private readonly onQueueEmpty = (): void => {
    if (this.currentState === "closing") {
      this.socket.end();
      return;
    }
    if (this.needDrain && this.socket.writableLength < this.options.writeHighWaterMark) {
      this.needDrain = false;
      this.emit("drain");
    }
  };

  private fail(error: TaurusError): void {
    if (this.closeError || this.currentState === "closed") return;
    this.closeError = error;
    this.stats.errors[error.kind]++;
    this.options.metrics?.error(error.kind, error.code);
    if (this.listenerCount("error") > 0) this.emit("error", error);
  }

  private finish(): void {
    if (this.currentState === "closed") return;
    this.currentState = "closed";
    this.clearTimers();
    const pending = this.queue.length; // messages: a taken item may hold several frames
    this.unsent = this.queue.take();
    if (pending > 0) this.options.metrics?.queueDepthChanged?.(-pending);
    this.reader.clear();
    this.emit("close", this.closeError);
    const waiters = this.endWaiters;
    this.endWaiters = undefined;
    for (const resolve of waiters ?? []) resolve();
  }

  private armTimers(): void {
    const { idleTimeout, firstByteTimeout } = this.options;
    if (firstByteTimeout > 0) {
      this.firstByteTimer = setTimeout(() => {
        this.close(new TaurusError("HANDSHAKE_TIMEOUT", `no byte within ${firstByteTimeout} ms`));
      }, firstByteTimeout);
      this.firstByteTimer.unref();
    }
    if (idleTimeout > 0) this.scheduleIdleCheck(idleTimeout);
  }

  private scheduleIdleCheck(delay: number): void {
    this.idleTimer = setTimeout(Connection.idleCheck, delay, this);
    this.idleTimer.unref();
  }

  private checkIdle(): void {
    const timeout = this.options.idleTimeout;
    const idleFor = performance.now() - this.lastActivity;
    if (idleFor >= timeout) {
      this.close(new TaurusError("IDLE_TIMEOUT", `no whole message in or out for ${timeout} ms`));
    } else {
      this.scheduleIdleCheck(Math.ceil(timeout - idleFor));
    }
  }

  private clearTimers(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    if (this.firstByteTimer) clearTimeout(this.firstByteTimer);
    this.idleTimer = this.firstByteTimer = undefined;
  }
}
