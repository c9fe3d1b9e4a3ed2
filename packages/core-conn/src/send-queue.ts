import type { Writable } from "node:stream";
import { TaurusError } from "./errors";
import { type FrameWriter, inSlab, reserve, slab, unreserve } from "./slab";

/**
 * Queues with frames to flush at the end of this tick (the first `scheduledCount`
 * entries): one microtask for all of them, or none when they were filled while a
 * read was delivered (flushed as that read ends). The array is kept from one pass
 * to the next, its entries emptied: truncating it would make V8 free it and the
 * next pass allocate it again (on every message of a ping-pong).
 */
let scheduled: Array<SendQueue | undefined> = [];
let scheduledCount = 0;

/** Above this many entries, the array is let go after a pass rather than kept. */
const SCHEDULED_KEPT_MAX = 4096;

/** Reads being delivered (nested when a handler feeds another connection's stream). */
let readsDelivering = 0;
/** Whether a microtask will run {@link flushScheduled}. */
let passQueued = false;
/**
 * Whether {@link flushScheduled} is running: a read delivered from inside it (a stream
 * whose writes reach another connection at once) leaves what it schedules to its loop.
 */
let passRunning = false;

/**
 * Marks the start of a read's delivery: queues that handlers fill from now on
 * are flushed when the outermost read ends ({@link endReadDelivery}), not in a
 * microtask. A request/reply exchange then costs no microtask: the replies to
 * a read leave in the same turn as they would have (the microtask ran right
 * after the read's callback), and together. @internal
 */
export function beginReadDelivery(): void {
  readsDelivering++;
}

/**
 * Marks the end of a read's delivery; at the outermost one, flushes what was
 * scheduled meanwhile, unless a microtask pass is already on its way. A
 * throwing `drain` listener's error is rethrown from a microtask, as a pass of
 * its own would have thrown it, never into the socket's read. @internal
 */
export function endReadDelivery(): void {
  if (--readsDelivering > 0 || scheduledCount === 0 || passQueued || passRunning) return;
  try {
    flushScheduled();
  } catch (error) {
    queueMicrotask(() => {
      throw error;
    });
  }
}

function flushScheduled(): void {
  passQueued = false;
  passRunning = true;
  let failure: { error: unknown } | undefined;
  // A flush may schedule another queue; the loop picks it up.
  for (let i = 0; i < scheduledCount; i++) {
    const queue = scheduled[i] as SendQueue;
    scheduled[i] = undefined;
    try {
      queue.flush();
    } catch (error) {
      // A throwing `drain` listener must not spare the queues after it (nor leave
      // them marked scheduled, never flushed again): finish the pass, then rethrow.
      failure ??= { error };
    }
  }
  passRunning = false;
  scheduledCount = 0;
  if (scheduled.length > SCHEDULED_KEPT_MAX) scheduled = [];
  forgetSharedBatch();
  if (failure) throw failure.error;
}

/**
 * The last batch concatenated in this flush pass, and the frames it holds: the
 * receivers of a broadcast queue the same frame objects, so each one after the
 * first writes the same batch instead of a copy of its own (as a hand-written
 * fan-out writes one buffer to every socket). Kept for one pass only, so it
 * pins no memory past the tick.
 */
const sharedParts: Uint8Array[] = [];
let sharedBatch: Buffer | undefined;

function shareBatch(batch: Buffer, frames: Uint8Array[], start: number, end: number): void {
  sharedBatch = batch;
  sharedParts.length = 0;
  for (let i = start; i < end; i++) sharedParts.push(frames[i] as Uint8Array);
}

function forgetSharedBatch(): void {
  if (sharedBatch === undefined) return;
  sharedBatch = undefined;
  // Drop the frames. Truncating lets V8 free the array too (unlike `scheduled`, which is
  // kept): this runs once a pass that shared a batch, not per queue or per message.
  sharedParts.length = 0;
}

/** The shared batch when `frames[start..end)` are, one by one, its frames; `undefined` otherwise. */
function sharedBatchOf(frames: Uint8Array[], start: number, end: number): Buffer | undefined {
  const parts = sharedParts;
  if (sharedBatch === undefined || parts.length !== end - start) return undefined;
  for (let i = start; i < end; i++) if (frames[i] !== parts[i - start]) return undefined;
  return sharedBatch;
}

/**
 * `frames[start..end)` (`size` bytes in all) as one buffer: the shared batch when it holds
 * these very frames, else a new one, shared with the queues flushing after this one.
 */
function batchOf(frames: Uint8Array[], start: number, end: number, size: number): Buffer {
  const shared = sharedBatchOf(frames, start, end);
  if (shared !== undefined) return shared;
  const batch = Buffer.allocUnsafe(size);
  let offset = 0;
  for (let i = start; i < end; i++) {
    const frame = frames[i] as Uint8Array;
    batch.set(frame, offset);
    offset += frame.length;
  }
  // Other queues flush in this pass: they may hold the same frames (a broadcast).
  if (scheduledCount > 1) shareBatch(batch, frames, start, end);
  return batch;
}

/** Batches of at most this many bytes are concatenated into one write; larger ones are written as they are. */
const COALESCE_BYTES = 64 * 1024;

/**
 * A batch whose entries average at least this many bytes is handed to the socket as one
 * `writev` (cork, writes, uncork) rather than copied into one buffer: copying large frames
 * costs more than the socket's bookkeeping per entry.
 */
const WRITEV_MIN_AVERAGE = 1024;

/** The queue whose `pushEncoded` is running the protocol's `encodeInto`, to refuse re-entrant sends. */
let encodingQueue: SendQueue | undefined;

/** Who a {@link SendQueue} reports to (its connection): methods, not a closure per queue. @internal */
export interface QueueOwner {
  /** `messages` frames of `bytes` bytes were handed to the socket. */
  queueFlushed(messages: number, bytes: number): void;
  /** Nothing is left to hand to the socket. */
  queueEmptied(): void;
}

/**
 * A bounded queue of encoded frames in front of a socket, flushed with
 * coalesced writes. Frames move to the socket only while the socket's own
 * buffer is under `highWaterMark`, so a peer that never reads holds at most
 * the queue's bounds plus one high-water mark of memory.
 *
 * Frames come either whole (`push`, as `sendEncoded` and broadcasts do) or are
 * written by the protocol's `encodeInto` straight into a shared slab
 * (`pushEncoded`): consecutive frames of one queue then form one contiguous
 * run, written with one `write` and no copy. A run is copied out of its slab
 * when it would otherwise wait (the socket is not keeping up, or the
 * connection closes), so a slow peer never pins a slab.
 *
 * @internal
 */
export class SendQueue {
  /**
   * Whole frames, and runs that had to wait, in order: entries `head` to `tail`. The array
   * keeps its length (written entries are emptied) from one flush to the next: truncating
   * it would let V8 free its backing store, and every tick's first push allocate another.
   */
  private frames: Uint8Array[] = [];
  private head = 0;
  private tail = 0;
  /** Messages in the entries of `frames` that hold more than one, created when one does. */
  private runCounts: Map<Uint8Array, number> | undefined;
  private messages = 0;
  private bytes = 0;
  private scheduled = false;
  private waitingDrain = false;
  /** Created the first time the socket pushes back. */
  private onDrain: (() => void) | undefined;
  /** The slab of the open run (frames written by `pushEncoded`, after every entry of `frames`). */
  private run: Buffer | undefined;
  private runStart = 0;
  private runEnd = 0;
  private runCount = 0;

  constructor(
    private readonly socket: Writable,
    private readonly highWaterMark: number,
    private readonly owner: QueueOwner,
  ) {}

  /** Messages waiting to be handed to the socket. */
  get length(): number {
    return this.messages;
  }

  /** Bytes waiting to be handed to the socket. */
  get byteLength(): number {
    return this.bytes;
  }

  /** Whether nothing is queued, scheduled or waiting for the socket: the queue may be let go. */
  get atRest(): boolean {
    return this.messages === 0 && !this.scheduled && !this.waitingDrain && this.run === undefined;
  }

  /** Queues a whole frame and schedules a flush at the end of the current tick. */
  push(frame: Uint8Array): void {
    if (encodingQueue === this) throw reentrant();
    this.closeRun();
    this.append(frame);
    this.messages++;
    this.bytes += frame.length;
    this.schedule();
  }

  /**
   * Queues the frame of `message`, written by `writer.encodeInto` straight
   * into the outgoing batch, and schedules a flush. Nothing is queued when
   * `encodeInto` throws or writes another length than `size`.
   *
   * @throws what `encodeInto` throws; `TaurusError` `INVALID_MESSAGE` when it
   *   wrote another length than `size`, or when called again from inside it
   */
  pushEncoded<M>(writer: FrameWriter<M>, message: M, size: number): void {
    if (encodingQueue === this) throw reentrant();
    const offset = reserve(size);
    if (offset < 0) {
      // Too large for a slab: a buffer of its own, still without a copy.
      const frame = Buffer.allocUnsafeSlow(size);
      this.encode(writer, message, frame, 0, size);
      this.push(frame);
      return;
    }
    const target = slab;
    if (this.run !== target || this.runEnd !== offset) {
      this.closeRun();
      this.run = target;
      this.runStart = this.runEnd = offset;
    }
    try {
      this.encode(writer, message, target, offset, size);
    } catch (err) {
      unreserve(target, offset, size);
      if (this.runCount === 0) this.run = undefined;
      throw err;
    }
    this.runEnd = offset + size;
    this.runCount++;
    this.messages++;
    this.bytes += size;
    this.schedule();
  }

  /** Removes and returns every frame not yet handed to the socket, in order (runs copied out of their slab). */
  take(): Uint8Array[] {
    this.closeRun();
    const frames: Uint8Array[] = [];
    for (let i = this.head; i < this.tail; i++) {
      const frame = this.frames[i] as Uint8Array;
      frames.push(inSlab(frame) ? ownCopy(frame) : frame);
    }
    this.frames = [];
    this.head = 0;
    this.tail = 0;
    this.runCounts = undefined;
    this.messages = 0;
    this.bytes = 0;
    return frames;
  }

  /** Hands queued frames to the socket until it pushes back. */
  flush(): void {
    this.scheduled = false;
    const socket = this.socket;
    if (socket.destroyed || socket.writableEnded) return;
    if (this.head === this.tail && this.run !== undefined) {
      // Only the open run waits (the usual case): write it as it is, in one write.
      if (socket.writableLength < this.highWaterMark) this.writeRun(socket);
      else this.closeRun();
    } else {
      this.closeRun();
    }
    while (this.head < this.tail) {
      if (socket.writableLength >= this.highWaterMark) {
        if (!this.waitingDrain) {
          this.waitingDrain = true;
          this.onDrain ??= () => {
            this.waitingDrain = false;
            this.flush();
          };
          socket.once("drain", this.onDrain);
        }
        this.unpin();
        return;
      }
      this.writeBatch(socket);
    }
    // Reuse a small array (its entries were emptied as they were written); let a large one go.
    if (this.frames.length > 64) this.frames = [];
    this.head = 0;
    this.tail = 0;
    this.runCounts = undefined;
    this.owner.queueEmptied();
  }

  private schedule(): void {
    if (!this.scheduled && !this.waitingDrain) {
      this.scheduled = true;
      if (scheduledCount < scheduled.length) scheduled[scheduledCount] = this;
      else scheduled.push(this);
      if (++scheduledCount === 1 && readsDelivering === 0) {
        passQueued = true;
        queueMicrotask(flushScheduled);
      }
    }
  }

  private encode<M>(
    writer: FrameWriter<M>,
    message: M,
    target: Buffer,
    offset: number,
    size: number,
  ): void {
    const outer = encodingQueue;
    encodingQueue = this;
    let written: number;
    try {
      written = writer.encodeInto(message, target, offset);
    } finally {
      encodingQueue = outer;
    }
    if (written !== size) {
      throw new TaurusError(
        "INVALID_MESSAGE",
        `encodeInto wrote ${String(written)} bytes where encodedLength announced ${size}`,
      );
    }
  }

  /** Takes the open run as a view into its slab (read `runCount` first), or `undefined` when there is none. */
  private takeRun(): Uint8Array | undefined {
    const run = this.run;
    if (run === undefined) return undefined;
    this.run = undefined;
    const count = this.runCount;
    this.runCount = 0;
    if (count === 0) return undefined;
    // A plain view: `Buffer#subarray` costs about 100 ns more (measured, Node 20), and the
    // socket makes its own Buffer of a Uint8Array anyway.
    return new Uint8Array(run.buffer, run.byteOffset + this.runStart, this.runEnd - this.runStart);
  }

  /** Writes the open run, the only thing queued; a copy when the socket is not writing synchronously. */
  private writeRun(socket: Writable): void {
    const count = this.runCount;
    const view = this.takeRun();
    if (view === undefined) return;
    // A write the socket cannot complete at once keeps its bytes: never a slab's.
    socket.write(socket.writableLength > 0 ? ownCopy(view) : view);
    this.messages -= count;
    this.bytes -= view.length;
    this.owner.queueFlushed(count, view.length);
  }

  /** Adds an entry after the last one, into a slot of `frames` when it has one. */
  private append(entry: Uint8Array): void {
    if (this.tail < this.frames.length) this.frames[this.tail] = entry;
    else this.frames.push(entry);
    this.tail++;
  }

  /** Moves the open run into `frames`, to keep its place before what comes next. */
  private closeRun(): void {
    const count = this.runCount;
    const view = this.takeRun();
    if (view === undefined) return;
    // A run that will wait for the socket must not pin its slab.
    const entry = this.waitingDrain || this.socket.writableLength > 0 ? ownCopy(view) : view;
    this.append(entry);
    if (count > 1) {
      this.runCounts ??= new Map();
      this.runCounts.set(entry, count);
    }
  }

  /** Copies the queued runs still in slabs, before they wait for the socket to drain. */
  private unpin(): void {
    const frames = this.frames;
    for (let i = this.head; i < this.tail; i++) {
      const frame = frames[i] as Uint8Array;
      if (!inSlab(frame)) continue;
      const copy = ownCopy(frame);
      frames[i] = copy;
      const count = this.runCounts?.get(frame);
      if (count !== undefined) {
        this.runCounts?.delete(frame);
        this.runCounts?.set(copy, count);
      }
    }
  }

  private writeBatch(socket: Writable): void {
    const { frames, runCounts } = this;
    const first = frames[this.head] as Uint8Array;
    let end = this.head + 1;
    let size = first.length;
    while (end < this.tail && size + (frames[end] as Uint8Array).length <= COALESCE_BYTES) {
      size += (frames[end] as Uint8Array).length;
      end++;
    }
    let messages = end - this.head;
    if (runCounts !== undefined) {
      for (let i = this.head; i < end; i++) {
        const count = runCounts.get(frames[i] as Uint8Array);
        if (count !== undefined) {
          messages += count - 1;
          runCounts.delete(frames[i] as Uint8Array);
        }
      }
    }
    const count = end - this.head;
    if (count === 1) {
      socket.write(first);
    } else if (size >= count * WRITEV_MIN_AVERAGE) {
      // Large entries: one writev of them as they are, instead of a copy into one batch.
      // A slab's bytes go out only to a socket that writes at once (see writeRun).
      const own = socket.writableLength > 0;
      socket.cork();
      for (let i = this.head; i < end; i++) {
        const frame = frames[i] as Uint8Array;
        socket.write(own && inSlab(frame) ? ownCopy(frame) : frame);
      }
      socket.uncork();
    } else {
      socket.write(batchOf(frames, this.head, end, size));
    }
    // Release references as we go so a long queue does not pin written frames.
    for (let i = this.head; i < end; i++) frames[i] = EMPTY;
    this.head = end;
    if (end >= 1024 && end * 2 >= this.tail) {
      this.frames = frames.slice(end, this.tail);
      this.head = 0;
      this.tail -= end;
    }
    this.messages -= messages;
    this.bytes -= size;
    this.owner.queueFlushed(messages, size);
  }
}

const EMPTY = new Uint8Array(0);

function ownCopy(bytes: Uint8Array): Buffer {
  const copy = Buffer.allocUnsafe(bytes.length);
  copy.set(bytes);
  return copy;
}

function reentrant(): TaurusError<"INVALID_MESSAGE"> {
  return new TaurusError(
    "INVALID_MESSAGE",
    "send() on a connection from inside its protocol's encodeInto is not supported",
  );
}
