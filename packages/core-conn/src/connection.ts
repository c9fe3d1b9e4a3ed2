import { randomBytes } from "node:crypto";
import { EventEmitter } from "node:events";
import type { ConnectionEvents, ConnectionSocket, ConnectionState } from "./connection-types";
import { publishClose, publishDrop, publishOpen } from "./diagnostics";
import { type ErrorCode, ErrorCodes, TaurusError } from "./errors";
import { lazyEventTable, shapeEventTable } from "./event-table";
import { closeWithFarewell } from "./farewell";
import { FrameReader, frameDecoder } from "./frame-reader";
import type { MemoryBudget } from "./memory-budget";
import {
  type ConnectionOptions,
  type ConnectionSettings,
  type InboundLimiter,
  sharedConnectionOptions,
} from "./options";
import {
  type Decoder,
  type Drop,
  dropReasonCode,
  type Fatal,
  type Keepalive,
  type Protocol,
} from "./protocol";
import { beginReadDelivery, endReadDelivery, SendQueue } from "./send-queue";
import { CONTROL_KIND } from "./session/control";
import type { SessionLink } from "./session/link";
import { keepPeerAddress, onSocketEnd } from "./socket-memory";
import {
  type ConnectionStats,
  countError,
  type FaultCounts,
  newFaultCounts,
  statsSnapshot,
  type TrafficCounts,
} from "./stats";

/**
 * Connection ids: a random prefix per process and a counter, short enough
 * (12 characters up to 60 million connections) to stay one flat string.
 */
const ID_PREFIX = randomBytes(3).toString("hex");
let lastId = 0;
const idOf = (serial: number): string => `${ID_PREFIX}-${serial.toString(36)}`;

/**
 * The counter of a connection made with a generated id (`undefined` for an id
 * given as an option). A server keys its connections by it, so that an idle
 * connection whose id nobody asked for never makes its string.
 *
 * @internal
 */
export function connectionSerial<M>(conn: Connection<M>): number | undefined {
  const id = conn[ID];
  return typeof id === "number" ? id : serialOfConnectionId(id);
}

/**
 * The counter in a generated connection id of this process; `undefined` for any
 * other string.
 *
 * @internal
 */
export function serialOfConnectionId(id: string): number | undefined {
  if (
    id.length <= ID_PREFIX.length + 1 ||
    !id.startsWith(ID_PREFIX) ||
    id[ID_PREFIX.length] !== "-"
  )
    return undefined;
  const digits = id.slice(ID_PREFIX.length + 1);
  const serial = Number.parseInt(digits, 36);
  return Number.isSafeInteger(serial) && serial > 0 && idOf(serial) === id ? serial : undefined;
}

const ID = Symbol("taurus.id");

const NO_FRAMES: Uint8Array[] = [];

/** The connection a socket serves, on the socket itself: its listeners are shared, not closures. */
const CONNECTION = Symbol("taurus.connection");
type ServedSocket = ConnectionSocket & { [CONNECTION]?: Connection<unknown> };

/** `Connection.flags` bits. */
const FLAG_DELIVERING = 1;
const FLAG_NEED_DRAIN = 2;
const FLAG_WAITING_SOCKET_DRAIN = 4;
const FLAG_GOT_FIRST_BYTE = 8;
const FLAG_PEER_ENDED = 16;
const FLAG_PEER_END_HANDLED = 32;
const FLAG_SOCKET_CLOSED = 64;
const FLAG_SWEPT = 128;
/** The state (`open` when neither bit is set). */
const FLAG_CLOSING = 256;
const FLAG_CLOSED = 512;

/**
 * A time mark, in whole milliseconds of `performance.now()`, rounded up: set
 * against the sweeper's `now` (rounded down), a deadline never fires early.
 */
const markTime = (): number => Math.ceil(performance.now());

/**
 * The slot of a {@link Connection} for the code that serves it (the server's
 * handler runner, a {@link ConnectionOwner}): the connection tells it of its
 * events directly, without a listener or a lookup per connection.
 * @internal
 */
export const OWNER: unique symbol = Symbol("taurus.owner");

/** Why delivery is held (a bit each of `Connection.flags`): `pause()`, a full send queue, an inbound limiter. */
const HOLD_USER = 1024;
const HOLD_QUEUE = 2048;
const HOLD_RATE = 4096;
const HOLDS = HOLD_USER | HOLD_QUEUE | HOLD_RATE;

/**
 * What few connections ever need, made on first use (attributes, a rate
 * timer, a wait for the socket's drain, a session, errors, the close, a
 * socket stalled over its high-water mark), so that an idle connection holds
 * one field for all of it.
 */
interface Extras<M> {
  attributeMap: Map<string, unknown> | undefined;
  rateTimer: NodeJS.Timeout | undefined;
  socketDrain: (() => void) | undefined;
  closeError: TaurusError | undefined;
  endWaiters: Array<() => void> | undefined;
  unsent: Uint8Array[];
  link: SessionLink<M> | undefined;
  faults: FaultCounts | undefined;
  /** Since when the socket has been over its high-water mark; -1 when it is not (few sockets ever are). */
  writeBlockedSince: number;
}

function newExtras<M>(): Extras<M> {
  return {
    attributeMap: undefined,
    rateTimer: undefined,
    socketDrain: undefined,
    closeError: undefined,
    endWaiters: undefined,
    unsent: NO_FRAMES,
    link: undefined,
    faults: undefined,
    writeBlockedSince: -1,
  };
}

/**
 * The code that serves a connection (the server's handler runner), in its
 * {@link OWNER} slot: told of the connection's messages, drops, end and close
 * before its listeners are, so that it needs no listeners (nor the event
 * table they take) per connection.
 * @internal
 */
export interface ConnectionOwner<M> {
  /** A message arrived. */
  message(message: M, size: number): void;
  /** Inbound bytes were dropped. */
  drop(error: TaurusError): void;
  /** The peer ended: the owner closes the connection when it is done (the connection does not). */
  end(): void;
  /** The connection closed. */
  close(error: TaurusError | undefined): void;
}

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
 * coalesced into few socket writes at the end of the tick; what handlers send
 * while a read is delivered (replies, and sends to other connections) is
 * written as that read ends, without waiting for the end-of-tick microtask.
 *
 * Deadlines (first byte, frame completion, idle, write) are checked by one
 * shared timer of the process, not by timers per connection. A protocol's
 * keepalive pings are answered with pongs and neither is delivered.
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
  /**
   * The id, or the counter of a generated one whose string was never asked for
   * (an idle server connection does not keep a string for it).
   *
   * @internal
   */
  [ID]: string | number;
  /** The socket this connection runs over. */
  readonly socket: ConnectionSocket;

  /** Resolved options and the protocol: one object shared by the connections a server makes alike. */
  private readonly options: ConnectionSettings;
  /** The `inboundLimiter` option: per connection, outside the options shared by every connection alike. */
  private readonly limiter: InboundLimiter | undefined;
  /**
   * The framing of inbound bytes, created by the first chunk; one at rest (no bytes, no
   * frame being skipped) is let go at the deadline sweep, so an idle connection holds none.
   */
  private reader: FrameReader<M> | undefined;
  /** The protocol's decoder for this connection (contract v2), kept across readers. */
  private readonly decoder: Decoder<M> | undefined;
  /**
   * The send queue, created by the first frame queued; an empty one is let go
   * at the deadline sweep (connections with a deadline or a memory budget, as
   * every server connection), so such an idle connection holds none.
   */
  private sendQueue: SendQueue | undefined;
  /**
   * The connection's flags, its state and its holds (the `FLAG_*`, `FLAG_CLOSING`/`FLAG_CLOSED`
   * and `HOLD_*` bits): one field, not ten, per connection.
   */
  private flags = 0;
  // Times are whole milliseconds (`markTime`, and the sweeper's `now`): small integers, stored
  // in the object, where a fractional `performance.now()` would be a separate heap number.
  /**
   * When the last whole message arrived (or delivery was last held); until the first
   * byte, when the connection opened (nothing before the first byte changes it).
   */
  private lastInbound = markTime();
  /** When the frame now arriving started; -1 when none is partly buffered. */
  private partialSince = -1;
  /** Bytes last accounted in the memory budget (the connection is its own account). @internal */
  budgetHeld = 0;
  /** What few connections need (see {@link Extras}), made on first use. */
  private extras: Extras<M> | undefined;
  /** The peer's address, read once (see `keepPeerAddress`); `undefined` until known. */
  private peerAddress: string | undefined;
  // The traffic counters (`stats`): fields of the connection, not an object of their own.
  private messagesIn = 0;
  private keepalivesIn = 0;
  private messagesOut = 0;
  private bytesIn = 0;
  private bytesOut = 0;
  /** The code that serves this connection (see {@link OWNER}). @internal */
  [OWNER]: ConnectionOwner<M> | undefined = undefined;

  /**
   * @param socket - a connected (or connecting) socket, or any Duplex
   * @param protocol - the wire protocol spoken on it
   * @param options - limits and timeouts, see {@link ConnectionOptions}
   * @throws {@link TaurusError} `INVALID_OPTION` for an option out of range
   */
  constructor(socket: ConnectionSocket, protocol: Protocol<M>, options: ConnectionOptions = {}) {
    super();
    // No event table until the first listener (a server's connections have none).
    lazyEventTable(this);
    this.options = sharedConnectionOptions(options, protocol as Protocol<unknown>);
    this.limiter = options.inboundLimiter;
    this[ID] = options.id ?? ++lastId;
    this.socket = socket;
    this.decoder = frameDecoder(protocol, this.options.maxMessageSize);

    const served = socket as ServedSocket;
    if (served[CONNECTION] === undefined) {
      served[CONNECTION] = this as Connection<unknown>;
      socket.on("data", Connection.socketData);
      onSocketEnd(socket, Connection.socketEnd);
      socket.on("error", Connection.socketError);
      socket.on("close", Connection.socketClose);
    } else {
      // A socket that already served a connection: listeners of this one's own, as before.
      socket.on("data", (chunk: Buffer) => this.onData(chunk));
      socket.on("end", () => this.onEnd());
      socket.on("error", (err: Error) => this.onSocketError(err));
      socket.on("close", () => this.onSocketClose());
    }
    if (!socket.connecting) this.peerAddress = keepPeerAddress(socket);
    if (socket.connecting) socket.once("connect", () => this.onConnect());
    else process.nextTick(Connection.connected, this);
    const o = this.options;
    o.memoryBudget?.add(this);
    let shortest = Number.POSITIVE_INFINITY;
    for (const t of [o.handshakeTimeout, o.frameTimeout, o.idleTimeout, o.writeTimeout]) {
      if (t > 0 && t < shortest) shortest = t;
    }
    // Accounted bytes in a socket's buffer drain without an event: re-read them once a second.
    if (this.budget && shortest > 1000) shortest = 1000;
    if (shortest < Number.POSITIVE_INFINITY) {
      this.setFlag(FLAG_SWEPT, true);
      o.sweeper.add(this, shortest);
    }
    publishOpen(this as Connection<unknown>);
  }

  /**
   * The events with listeners (EventEmitter's `eventNames()`; the event slots
   * kept empty for a fixed shape are not listed).
   */
  override eventNames(): Array<keyof ConnectionEvents<M>> {
    return (super.eventNames() as Array<keyof ConnectionEvents<M>>).filter(
      (name) => this.listenerCount(name) > 0,
    );
  }

  /** The largest frame accepted or sent on this connection, in bytes. */
  get maxMessageSize(): number {
    return this.options.maxMessageSize;
  }

  /** The memory budget this connection is accounted in (the `memoryBudget` option), if any. */
  private get budget(): MemoryBudget | undefined {
    return this.options.memoryBudget;
  }

  /** The state, from its flags. */
  private get currentState(): ConnectionState {
    const flags = this.flags;
    return (flags & FLAG_CLOSED) !== 0
      ? "closed"
      : (flags & FLAG_CLOSING) !== 0
        ? "closing"
        : "open";
  }

  /** The HOLD_* bits: delivery and reading stop while any is set. */
  private get holds(): number {
    return this.flags & HOLDS;
  }

  /** The session layer attached, if any. */
  private get link(): SessionLink<M> | undefined {
    return this.extras?.link;
  }

  /** What few connections need, made now if it was not. */
  private get more(): Extras<M> {
    this.extras ??= newExtras();
    return this.extras;
  }

  /**
   * Counters of this connection, as they are now: a new snapshot at each read.
   */
  get stats(): ConnectionStats {
    return statsSnapshot(this as unknown as TrafficCounts, this.extras?.faults);
  }

  /** The error and drop counts, made at the first error or drop. */
  private get faults(): FaultCounts {
    const more = this.more;
    more.faults ??= newFaultCounts();
    return more.faults;
  }

  private hasFlag(flag: number): boolean {
    return (this.flags & flag) !== 0;
  }

  private setFlag(flag: number, on: boolean): void {
    this.flags = on ? this.flags | flag : this.flags & ~flag;
  }

  /** Free-form per-connection attributes for the application (user name, session...), created on first use. */
  get attributes(): Map<string, unknown> {
    const more = this.more;
    more.attributeMap ??= new Map();
    return more.attributeMap;
  }

  /** The protocol of this connection. */
  get protocol(): Protocol<M> {
    return this.options.protocol as Protocol<M>;
  }

  /**
   * An id unique within the process (a random per-process prefix and a counter:
   * `"3fa9c1-1"`, `"3fa9c1-2"`...), unless the `id` option was given.
   */
  get id(): string {
    const id = this[ID];
    if (typeof id === "string") return id;
    const made = idOf(id);
    this[ID] = made;
    return made;
  }

  /** `open`, `closing` (after {@link Connection.close}) or `closed`. */
  get state(): ConnectionState {
    return this.currentState;
  }

  /**
   * The peer's IP address, when the socket has one; still known after the
   * connection closed (when it was known while it was open).
   */
  get remoteAddress(): string | undefined {
    return this.peerAddress ?? this.socket.remoteAddress;
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
    return (this.sendQueue?.byteLength ?? 0) + this.socket.writableLength;
  }

  /** Messages waiting in the send queue. */
  get queuedMessages(): number {
    return this.sendQueue?.length ?? 0;
  }

  /**
   * Whether delivery of inbound messages is paused: by {@link Connection.pause},
   * by an inbound limiter, or (with `pauseOnFullQueue`) until a full send queue drains.
   */
  get isPaused(): boolean {
    return this.holds !== 0;
  }

  /** The send queue, created on first use. */
  private get queue(): SendQueue {
    if (this.sendQueue === undefined) {
      this.sendQueue = new SendQueue(this.socket, this.options.writeHighWaterMark, this);
    }
    return this.sendQueue;
  }

  /** Bytes held for this connection: inbound buffer, send queue and the socket's write buffer. */
  get heldBytes(): number {
    return (this.reader?.capacity ?? 0) + this.bufferedAmount;
  }

  /**
   * Encodes `message` and queues it for sending. With a protocol that has
   * `encodedLength` and `encodeInto`, the frame is written straight into the
   * outgoing batch.
   *
   * @returns `true` while the queue is below half of its bounds, `false` when
   *   the caller should wait for the `drain` event before sending more
   * @throws {@link TaurusError} `CONNECTION_CLOSED` once `close()` or `destroy()`
   *   was called; `SEND_QUEUE_FULL` when the queue is at its message or byte
   *   bound, or an attached session's retransmit buffer is (nothing is
   *   queued); `INVALID_MESSAGE` or `MESSAGE_TOO_LARGE` from the protocol's
   *   encoder
   */
  send(message: M): boolean {
    if (this.link !== undefined) return this.sendOnSession(message, this.link);
    this.assertOpen();
    const protocol = this.protocol;
    if (protocol.encodeInto !== undefined && protocol.encodedLength !== undefined) {
      return this.sendFrame(protocol.encodedLength(message), undefined, message);
    }
    const frame = protocol.encode(message);
    return this.sendFrame(frame.length, frame);
  }

  /**
   * Attaches a session layer (used by `@taurus/server` and `@taurus/client`):
   * it sees every data message sent and every control frame received, and may
   * take messages sent after the close for replay elsewhere.
   *
   * @param link - the session's hooks; `undefined` detaches
   */
  attachSession(link: SessionLink<M> | undefined): void {
    if (link !== undefined || this.extras !== undefined) this.more.link = link;
  }

  /**
   * Queues a control frame (keepalive or session) that the attached session
   * does not count. Never throws: a closed connection or a full queue drops it.
   *
   * @returns `true` when the frame was queued
   */
  sendControl(frame: M): boolean {
    if (this.currentState !== "open") return false;
    try {
      const bytes = this.protocol.encode(frame);
      this.sendFrame(bytes.length, bytes);
      return true;
    } catch {
      return false;
    }
  }

  private sendOnSession(message: M, link: SessionLink<M>): boolean {
    if (this.currentState !== "open") {
      if (link.sendAfterClose(message)) return true;
      this.assertOpen();
    }
    if (link.take?.(message) === true) return true;
    const frame = this.protocol.encode(message);
    this.sessionRoom(link, frame.length);
    // What the session queues first (a reply's mark) must not outlive a refused frame:
    // the frame's room is checked before, and once they are queued the frame follows.
    this.queueRoom(frame.length);
    link.beforeSend?.(message);
    const result = this.pushFrame(frame.length, frame);
    link.sent(frame);
    return result;
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
    if (this.currentState !== "open" && this.link?.sendEncodedAfterClose?.(frame) === true) {
      return true;
    }
    this.assertOpen();
    if (this.link?.takeEncoded?.(frame) === true) return true;
    if (this.link !== undefined) this.sessionRoom(this.link, frame.length);
    const result = this.sendFrame(frame.length, frame);
    this.link?.sent(frame);
    return result;
  }

  /**
   * Stops delivering messages, at once (even in the middle of a chunk), and
   * stops reading from the socket, so TCP pushes back on the peer. Nothing is
   * dropped.
   */
  pause(): void {
    this.hold(HOLD_USER);
  }

  /**
   * Resumes delivery of buffered messages, then reading from the socket
   * (unless an inbound limiter or a full send queue still holds them).
   */
  resume(): void {
    this.release(HOLD_USER);
  }

  private hold(reason: number): void {
    if ((this.holds & reason) !== 0) return;
    if (this.holds === 0) {
      this.socket.pause();
      // Time held by this side is not the peer's: no frame deadline meanwhile.
      this.partialSince = -1;
    }
    this.flags |= reason;
  }

  private release(reason: number): void {
    if ((this.holds & reason) === 0) return;
    this.flags &= ~reason;
    if (this.holds !== 0 || this.currentState === "closed") return;
    if (reason === HOLD_RATE) this.lastInbound = markTime();
    if (!this.hasFlag(FLAG_DELIVERING)) this.deliver();
    if (this.holds === 0 && !this.hasFlag(FLAG_PEER_ENDED)) this.socket.resume();
  }

  /**
   * Graceful close: refuses new sends, writes out everything already
   * accepted, then half-closes the socket and waits. Messages keep arriving
   * until the peer closes its side (or a deadline closes the connection).
   * Use {@link Connection.destroy} to close at once.
   *
   * @returns a promise that resolves once the connection is closed; it never rejects
   */
  close(): Promise<void> {
    if (this.currentState === "closed") return Promise.resolve();
    const done = new Promise<void>((resolve) => {
      const more = this.more;
      more.endWaiters ??= [];
      more.endWaiters.push(resolve);
    });
    if (this.currentState === "open") {
      this.flags |= FLAG_CLOSING;
      if (this.queuedMessages === 0) this.socket.end();
      else this.queue.flush();
    }
    return done;
  }

  /**
   * @deprecated Renamed {@link Connection.close} (graceful); `end()` will be removed.
   * @returns a promise that resolves once the connection is closed; it never rejects
   */
  end(): Promise<void> {
    return this.close();
  }

  /**
   * Closes at once: discards the send queue and destroys the socket. Emits
   * `close` exactly once; later calls do nothing. This was `close(error?)`
   * before; `close()` is now the graceful close.
   *
   * @param error - the reason, reported by the `close` event (and `error`, when listened to)
   */
  destroy(error?: TaurusError): void {
    if (this.currentState === "closed") return;
    if (error) this.fail(error);
    const farewell = error ? this.farewellFrame(error) : undefined;
    // With a farewell the socket lingers briefly (ended, then destroyed); the
    // connection itself is closed now.
    closeWithFarewell(this.socket, farewell);
    // Some Duplex implementations emit no 'close' after destroy(); finish here.
    this.finish();
  }

  /**
   * For `await using`: the graceful {@link Connection.close}, which resolves once
   * the peer has closed its side too (or a deadline closed the connection).
   *
   * @returns a promise that resolves once the connection is closed; it never rejects
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** For `using`: the immediate {@link Connection.destroy}, without an error. */
  [Symbol.dispose](): void {
    this.destroy();
  }

  private farewellFrame(error: TaurusError): Uint8Array | undefined {
    const hook = this.options.farewell;
    if (!hook || error.code === "SOCKET") return undefined;
    try {
      return hook(error, this as unknown as Connection<unknown>);
    } catch {
      return undefined;
    }
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
    const extras = this.extras;
    if (extras === undefined) return [];
    const frames = extras.unsent;
    extras.unsent = NO_FRAMES;
    return frames === NO_FRAMES ? [] : frames;
  }

  private assertOpen(): void {
    if (this.currentState !== "open") {
      throw new TaurusError("CONNECTION_CLOSED", `connection ${this.id} is ${this.currentState}`);
    }
  }

  /** Queues `frame`, or without one, writes the `size` bytes of `message` with `encodeInto`. */
  /** @throws `MESSAGE_TOO_LARGE` (counted) past `maxMessageSize` */
  private assertSize(size: number): void {
    const { maxMessageSize } = this.options;
    if (size <= maxMessageSize) return;
    this.countError("MESSAGE_TOO_LARGE");
    throw new TaurusError(
      "MESSAGE_TOO_LARGE",
      `frame of ${size} bytes exceeds maxMessageSize ${maxMessageSize}`,
    );
  }

  /**
   * A data frame of an attached session: too large, or past the session's
   * buffer (`SessionLink.full`), it is refused before anything counts it.
   */
  private sessionRoom(link: SessionLink<M>, size: number): void {
    this.assertSize(size);
    if (link.full?.(size) === true) this.queueFull("session retransmit buffer");
  }

  private sendFrame(size: number, frame: Uint8Array | undefined, message?: M): boolean {
    this.queueRoom(size);
    return this.pushFrame(size, frame, message);
  }

  /**
   * Refuses a frame of `size` bytes that the send queue cannot take now.
   * @throws `MESSAGE_TOO_LARGE`, or `SEND_QUEUE_FULL` (see {@link Connection.queueFull})
   */
  private queueRoom(size: number): void {
    this.assertSize(size);
    const queue = this.queue;
    const { sendQueueSize, sendQueueBytes } = this.options;
    if (queue.length >= sendQueueSize || queue.byteLength + size > sendQueueBytes) {
      this.setFlag(FLAG_NEED_DRAIN, true);
      this.queueFull(`send queue (${queue.length} messages, ${queue.byteLength} bytes)`);
    }
  }

  /** Queues a frame {@link Connection.queueRoom} let through. @returns as {@link Connection.send} */
  private pushFrame(size: number, frame: Uint8Array | undefined, message?: M): boolean {
    const { sendQueueSize, sendQueueBytes } = this.options;
    const queue = this.queue;
    if (frame !== undefined) queue.push(frame);
    else queue.pushEncoded(this.protocol as Required<Protocol<M>>, message as M, size);
    this.options.metrics?.queueDepthChanged?.(1);
    // Only the queue grew since the last accounting (what the socket drained since is re-read at the flush).
    if (this.budget) this.budget.update(this, this.budgetHeld + size);
    if (queue.length * 2 > sendQueueSize || queue.byteLength * 2 > sendQueueBytes) {
      this.setFlag(FLAG_NEED_DRAIN, true);
      return false;
    }
    return true;
  }

  /**
   * Refuses a frame: `what` is full. Counted, and under the `"disconnect"`
   * policy the connection closes. @throws `SEND_QUEUE_FULL`, always
   */
  private queueFull(what: string): never {
    const error = new TaurusError("SEND_QUEUE_FULL", `connection ${this.id}: ${what} is full`);
    if (this.options.slowConsumerPolicy === "disconnect") this.destroy(error);
    else this.countError("SEND_QUEUE_FULL");
    throw error;
  }

  private countError(code: ErrorCode): void {
    const kind = ErrorCodes[code];
    countError(this.faults, kind, code);
    this.options.metrics?.error(kind, code);
  }

  // Tick and timer callbacks that take the connection as an argument: no closure per connection.
  private static connected(conn: Connection<unknown>): void {
    conn.onConnect();
  }

  private static unthrottle(conn: Connection<unknown>): void {
    if (conn.extras !== undefined) conn.extras.rateTimer = undefined;
    conn.release(HOLD_RATE);
  }

  // Socket listeners shared by every connection: the socket carries its connection.
  private static readonly socketData = function (this: ServedSocket, chunk: Buffer): void {
    this[CONNECTION]?.onData(chunk);
  };

  private static readonly socketEnd = function (this: ServedSocket): void {
    this[CONNECTION]?.onEnd();
  };

  private static readonly socketError = function (this: ServedSocket, err: Error): void {
    this[CONNECTION]?.onSocketError(err);
  };

  private static readonly socketClose = function (this: ServedSocket): void {
    this[CONNECTION]?.onSocketClose();
  };

  private onConnect(): void {
    if (this.currentState !== "closed") this.emit("connect");
  }

  private onData(chunk: Buffer): void {
    // After a close with a farewell, the socket lingers: what the peer still sends is discarded.
    if (this.currentState === "closed") return;
    this.bytesIn += chunk.length;
    this.setFlag(FLAG_GOT_FIRST_BYTE, true);
    this.reader ??= new FrameReader(this.protocol, this.options.maxMessageSize, this.decoder);
    this.reader.push(chunk);
    // What the handlers send in reply leaves as this read ends, without a microtask.
    beginReadDelivery();
    try {
      if (this.holds === 0 && !this.hasFlag(FLAG_DELIVERING)) this.deliver();
      // The handlers may have closed it meanwhile (TS narrows the state too eagerly here).
      if (this.budget && (this.currentState as ConnectionState) !== "closed") {
        this.budget.update(this, this.heldBytes);
      }
    } finally {
      endReadDelivery();
    }
  }

  /** Decodes and emits buffered frames until none is complete, or delivery is held or the connection closed. */
  private deliver(): void {
    this.setFlag(FLAG_DELIVERING, true);
    let progressed = false;
    try {
      const reader = this.reader;
      const limiter = this.limiter;
      while (reader !== undefined && this.holds === 0 && this.currentState !== "closed") {
        const available = reader.buffered;
        if (available === 0) break;
        if (
          this.hasFlag(FLAG_NEED_DRAIN) &&
          this.options.pauseOnFullQueue &&
          this.mustWaitForDrain()
        ) {
          // The queue is over half full (replies, or a fan-out): leave the rest
          // of the peer's requests unread until it drains, so their replies fit.
          this.hold(HOLD_QUEUE);
          break;
        }
        if (limiter) {
          // Before the frame is decoded (and its body parsed): over the limit,
          // its bytes stay buffered and reading stops until the limiter allows.
          const wait = limiter.delay();
          if (wait > 0) {
            this.throttle(wait);
            break;
          }
        }
        const result = reader.next();
        if (result === undefined || result.kind === "need_more") break;
        if (result.kind === "fatal") {
          this.onFatal(result);
          break;
        }
        limiter?.charge(Math.min(result.consumed, available));
        if (result.kind === "message") {
          progressed = true;
          this.onMessage(result.message, result.consumed);
        } else {
          this.onDrop(result);
        }
      }
    } finally {
      this.setFlag(FLAG_DELIVERING, false);
      // Only whole messages count as activity: a peer that drips a frame byte
      // by byte, or sends garbage, is idle (slowloris).
      if (progressed) this.lastInbound = markTime();
    }
    if (this.holds === 0) this.trackPartialFrame(progressed);
    if (
      this.hasFlag(FLAG_PEER_ENDED) &&
      !this.hasFlag(FLAG_PEER_END_HANDLED) &&
      this.holds === 0 &&
      this.currentState !== "closed"
    ) {
      this.finishInbound();
    }
  }

  /** Starts (or keeps, or stops) the frame-completion clock after a delivery. */
  private trackPartialFrame(progressed: boolean): void {
    const reader = this.reader;
    if (reader === undefined || (reader.buffered === 0 && reader.skipping === 0)) {
      this.partialSince = -1;
    } else if (progressed || this.partialSince < 0) this.partialSince = markTime();
  }

  private onMessage(message: M, size: number): void {
    this.link?.arrived?.(message);
    const keepalive = this.protocol.keepalive;
    const kind = keepalive?.kind(message);
    if (kind !== undefined) {
      this.keepalivesIn++;
      if (kind === "ping") this.answerPing(keepalive as Keepalive<M>);
      return;
    }
    const control = this.protocol.control?.decode(message);
    if (control !== undefined) {
      this.keepalivesIn++;
      if (this.link !== undefined) this.link.control(control);
      else if (control.kind === CONTROL_KIND.hello) {
        // A Taurus peer without sessions says so at once (the Go peers never send a hello).
        this.sendControl(
          this.protocol.control?.encode(CONTROL_KIND.refuse, { reason: "unsupported" }) as M,
        );
      }
      return;
    }
    this.messagesIn++;
    this.options.metrics?.messageReceived(size);
    this[OWNER]?.message(message, size);
    this.emit("message", message, size);
  }

  /** Whether a drain will come: something is queued, or the socket is over its mark. */
  private mustWaitForDrain(): boolean {
    return (
      this.currentState === "open" &&
      (this.queuedMessages > 0 || this.socket.writableLength >= this.options.writeHighWaterMark)
    );
  }

  /** Answers a ping when the queue has room; a pong is never worth a full queue. */
  private answerPing(keepalive: Keepalive<M>): void {
    if (this.currentState !== "open") return;
    const { sendQueueSize, sendQueueBytes } = this.options;
    let frame: Uint8Array;
    try {
      frame = this.protocol.encode(keepalive.pong);
    } catch {
      return;
    }
    const queue = this.queue;
    if (queue.length >= sendQueueSize || queue.byteLength + frame.length > sendQueueBytes) return;
    this.sendFrame(frame.length, frame);
  }

  private throttle(wait: number): void {
    this.hold(HOLD_RATE);
    this.more.rateTimer = setTimeout(Connection.unthrottle, Math.max(1, Math.ceil(wait)), this);
  }

  private onDrop(drop: Drop): void {
    if (drop.continues === true) return; // the rest of a drop already reported
    const code = dropReasonCode(drop.reason);
    const faults = this.faults;
    faults.drops[drop.reason]++;
    countError(faults, "protocol", code);
    this.options.metrics?.error("protocol", code);
    publishDrop(this as Connection<unknown>, drop.reason, code, drop.consumed);
    const owner = this[OWNER];
    if (owner !== undefined || this.listenerCount("drop") > 0) {
      const detail = drop.detail ? `: ${drop.detail}` : "";
      const error = new TaurusError(
        code,
        `dropped ${drop.consumed} bytes (${drop.reason})${detail}`,
      );
      owner?.drop(error);
      this.emit("drop", error);
    }
  }

  /** The protocol cannot go on: stop delivering and close with the mapped code. */
  private onFatal(fatal: Fatal): void {
    const detail = fatal.detail ? `: ${fatal.detail}` : "";
    this.destroy(
      new TaurusError(
        dropReasonCode(fatal.reason),
        `protocol ${this.protocol.name} cannot go on (${fatal.reason})${detail}`,
      ),
    );
  }

  private onEnd(): void {
    if (this.currentState === "closed") return;
    this.setFlag(FLAG_PEER_ENDED, true);
    if (this.holds === 0 && !this.hasFlag(FLAG_DELIVERING)) this.deliver();
  }

  /** Runs once the peer has ended and every complete frame was delivered. */
  private finishInbound(): void {
    this.setFlag(FLAG_PEER_END_HANDLED, true);
    // What is left is a frame that will never complete (Netty's decodeLast).
    const left = this.reader?.clear() ?? 0;
    if (left > 0) {
      this.onDrop({
        kind: "drop",
        consumed: left,
        reason: "invalid_format",
        detail: "truncated frame at end of stream",
      });
    }
    if (this.hasFlag(FLAG_SOCKET_CLOSED)) {
      this.finish();
      return;
    }
    const owner = this[OWNER];
    if (owner !== undefined) {
      owner.end();
      this.emit("end");
    } else if (this.listenerCount("end") > 0) this.emit("end");
    else void this.close();
  }

  private onSocketError(err: Error): void {
    this.fail(new TaurusError("SOCKET", err.message, { cause: err }));
  }

  private onSocketClose(): void {
    // A clean close can come while complete frames still wait for a paused
    // consumer: deliver them first, then finish (see finishInbound).
    if (
      this.extras?.closeError === undefined &&
      this.hasFlag(FLAG_PEER_ENDED) &&
      !this.hasFlag(FLAG_PEER_END_HANDLED) &&
      (this.reader?.buffered ?? 0) > 0
    ) {
      this.setFlag(FLAG_SOCKET_CLOSED, true);
      return;
    }
    this.finish();
  }

  /**
   * The send queue handed `messages` frames of `bytes` bytes to the socket.
   * @internal
   */
  queueFlushed(messages: number, bytes: number): void {
    this.messagesOut += messages;
    this.bytesOut += bytes;
    // Frames go to the socket only while it is under its high-water mark: progress.
    const extras = this.extras;
    if (extras !== undefined) extras.writeBlockedSince = -1;
    this.options.metrics?.messagesSent(messages, bytes);
    if (this.budget) this.budget.update(this, this.heldBytes);
  }

  /**
   * The send queue has nothing left to hand to the socket.
   * @internal
   */
  queueEmptied(): void {
    if (this.currentState === "closing") {
      this.socket.end();
      return;
    }
    if (!this.hasFlag(FLAG_NEED_DRAIN) || this.currentState !== "open") return;
    if (this.socket.writableLength < this.options.writeHighWaterMark) {
      this.setFlag(FLAG_NEED_DRAIN, false);
      try {
        this.emit("drain");
      } finally {
        // A throwing listener must not leave reading held for good.
        this.release(HOLD_QUEUE);
      }
    } else if (!this.hasFlag(FLAG_WAITING_SOCKET_DRAIN)) {
      // The queue is empty but the socket is still full: wait for the socket.
      this.setFlag(FLAG_WAITING_SOCKET_DRAIN, true);
      const more = this.more;
      more.socketDrain ??= () => {
        this.setFlag(FLAG_WAITING_SOCKET_DRAIN, false);
        if (this.queuedMessages === 0) this.queueEmptied();
      };
      this.socket.once("drain", more.socketDrain);
    }
  }

  private fail(error: TaurusError): void {
    if (this.extras?.closeError !== undefined || this.currentState === "closed") return;
    this.more.closeError = error;
    countError(this.faults, error.kind, error.code);
    this.options.metrics?.error(error.kind, error.code);
    if (this.listenerCount("error") > 0) this.emit("error", error);
  }

  private finish(): void {
    if (this.currentState === "closed") return;
    this.flags = (this.flags & ~FLAG_CLOSING) | FLAG_CLOSED;
    if (this.hasFlag(FLAG_SWEPT)) this.options.sweeper.delete(this);
    const extras = this.extras;
    if (extras?.rateTimer !== undefined) {
      clearTimeout(extras.rateTimer);
      extras.rateTimer = undefined;
    }
    if (this.budget) this.budget.release(this);
    const queue = this.sendQueue;
    const pending = queue?.length ?? 0; // messages: a taken item may hold several frames
    if (queue !== undefined) {
      const unsent = queue.take();
      if (unsent.length > 0) this.more.unsent = unsent;
    }
    if (pending > 0) this.options.metrics?.queueDepthChanged?.(-pending);
    this.reader?.clear();
    const error = this.extras?.closeError;
    publishClose(this as Connection<unknown>, error);
    this[OWNER]?.close(error);
    this.emit("close", error);
    const waiters = this.extras?.endWaiters;
    if (waiters === undefined) return;
    (this.extras as Extras<M>).endWaiters = undefined;
    for (const resolve of waiters) resolve();
  }

  /**
   * Checks the deadlines; called by its sweeper (the process's, or its server's).
   *
   * @param now - a `performance.now()` reading, in whole milliseconds (rounded down)
   * @internal
   */
  sweep(now: number): void {
    if (this.currentState === "closed") return;
    const o = this.options;
    if (
      !this.hasFlag(FLAG_GOT_FIRST_BYTE) &&
      o.handshakeTimeout > 0 &&
      now - this.lastInbound >= o.handshakeTimeout
    ) {
      this.destroy(new TaurusError("HANDSHAKE_TIMEOUT", `no byte within ${o.handshakeTimeout} ms`));
      return;
    }
    // Bytes held undecoded by the inbound limiter: the peer is not idle.
    if ((this.holds & HOLD_RATE) !== 0) this.lastInbound = now;
    if (
      this.holds === 0 &&
      o.frameTimeout > 0 &&
      this.partialSince >= 0 &&
      now - this.partialSince >= o.frameTimeout
    ) {
      this.destroy(
        new TaurusError("FRAME_TIMEOUT", `a frame did not complete within ${o.frameTimeout} ms`),
      );
      return;
    }
    if (o.idleTimeout > 0 && now - this.lastInbound >= o.idleTimeout) {
      this.destroy(
        new TaurusError("IDLE_TIMEOUT", `no whole message received for ${o.idleTimeout} ms`),
      );
      return;
    }
    if (o.writeTimeout > 0) {
      if (this.socket.writableLength < o.writeHighWaterMark) {
        if (this.extras !== undefined) this.extras.writeBlockedSince = -1;
      } else {
        // A stalled socket: the rare fields, made now if need be, keep since when.
        const more = this.more;
        if (more.writeBlockedSince < 0) {
          more.writeBlockedSince = now;
        } else if (now - more.writeBlockedSince >= o.writeTimeout) {
          this.destroy(
            new TaurusError(
              "SLOW_CONSUMER",
              `the peer read nothing for ${o.writeTimeout} ms with ${this.socket.writableLength} bytes waiting`,
            ),
          );
          return;
        }
      }
    }
    // An empty send queue is let go (the next send makes another): an idle connection holds none.
    if (this.sendQueue?.atRest === true) this.sendQueue = undefined;
    // So is a reader at rest (the decoder, and any state it keeps, stays the connection's).
    if (this.reader?.atRest === true) this.reader = undefined;
    if (this.budget) this.budget.set(this, this.heldBytes);
  }
}

// The event slots most listened to, made by a connection's first listener.
shapeEventTable(Connection.prototype, ["message", "drop", "end", "close"]);
