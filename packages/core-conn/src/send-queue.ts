import type { Writable } from "node:stream";

/** Queues with frames to flush at the end of this tick: one microtask for all of them. */
const scheduled: SendQueue[] = [];

function flushScheduled(): void {
  // A flush may schedule another queue; the loop picks it up.
  for (let i = 0; i < scheduled.length; i++) (scheduled[i] as SendQueue).flush();
  scheduled.length = 0;
}

/** Batches of at most this many bytes are concatenated into one write; larger ones are written as they are. */
const COALESCE_BYTES = 64 * 1024;

/**
 * A bounded queue of encoded frames in front of a socket, flushed with
 * coalesced writes. Frames move to the socket only while the socket's own
 * buffer is under `highWaterMark`, so a peer that never reads holds at most
 * the queue's bounds plus one high-water mark of memory.
 *
 * @internal
 */
export class SendQueue {
  private frames: Uint8Array[] = [];
  private head = 0;
  private bytes = 0;
  private scheduled = false;
  private waitingDrain = false;
  /** Created the first time the socket pushes back. */
  private onDrain: (() => void) | undefined;

  constructor(
    private readonly socket: Writable,
    private readonly highWaterMark: number,
    private readonly onFlushed: (messages: number, bytes: number) => void,
    private readonly onEmpty: () => void,
  ) {}

  /** Frames waiting to be handed to the socket. */
  get length(): number {
    return this.frames.length - this.head;
  }

  /** Bytes waiting to be handed to the socket. */
  get byteLength(): number {
    return this.bytes;
  }

  /** Queues a frame and schedules a flush at the end of the current tick. */
  push(frame: Uint8Array): void {
    this.frames.push(frame);
    this.bytes += frame.length;
    if (!this.scheduled && !this.waitingDrain) {
      this.scheduled = true;
      if (scheduled.push(this) === 1) queueMicrotask(flushScheduled);
    }
  }

  /** Removes and returns every frame not yet handed to the socket, in order. */
  take(): Uint8Array[] {
    const frames = this.frames.slice(this.head);
    this.frames = [];
    this.head = 0;
    this.bytes = 0;
    return frames;
  }

  /** Hands queued frames to the socket until it pushes back. */
  flush(): void {
    this.scheduled = false;
    const socket = this.socket;
    if (socket.destroyed || socket.writableEnded) return;
    while (this.head < this.frames.length) {
      if (socket.writableLength >= this.highWaterMark) {
        if (!this.waitingDrain) {
          this.waitingDrain = true;
          this.onDrain ??= () => {
            this.waitingDrain = false;
            this.flush();
          };
          socket.once("drain", this.onDrain);
        }
        return;
      }
      this.writeBatch(socket);
    }
    // Reuse a small array; let a large one go, so an idle connection holds little.
    if (this.frames.length > 64) this.frames = [];
    else this.frames.length = 0;
    this.head = 0;
    this.onEmpty();
  }

  private writeBatch(socket: Writable): void {
    const frames = this.frames;
    const first = frames[this.head] as Uint8Array;
    let end = this.head + 1;
    let size = first.length;
    while (end < frames.length && size + (frames[end] as Uint8Array).length <= COALESCE_BYTES) {
      size += (frames[end] as Uint8Array).length;
      end++;
    }
    const count = end - this.head;
    if (count === 1) {
      socket.write(first);
    } else {
      const batch = Buffer.allocUnsafe(size);
      let offset = 0;
      for (let i = this.head; i < end; i++) {
        const frame = frames[i] as Uint8Array;
        batch.set(frame, offset);
        offset += frame.length;
      }
      socket.write(batch);
    }
    // Release references as we go so a long queue does not pin written frames.
    for (let i = this.head; i < end; i++) frames[i] = EMPTY;
    this.head = end;
    if (end >= 1024 && end * 2 >= frames.length) {
      this.frames = frames.slice(end);
      this.head = 0;
    }
    this.bytes -= size;
    this.onFlushed(count, size);
  }
}

const EMPTY = new Uint8Array(0);
