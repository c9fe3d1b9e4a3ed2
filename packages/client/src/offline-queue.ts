import { TaurusError } from "@taurus/core-conn";

/**
 * The frames accepted while the client has no usable connection, bounded in
 * messages and bytes. Frames are encoded already, so they go out exactly as
 * they were accepted, in order.
 *
 * @internal
 */
export class OfflineQueue {
  private frames: Uint8Array[] = [];
  private head = 0;
  private bytes = 0;

  constructor(
    private readonly maxMessages: number,
    private readonly maxBytes: number,
  ) {}

  /** Frames waiting. */
  get length(): number {
    return this.frames.length - this.head;
  }

  /** Bytes waiting. */
  get byteLength(): number {
    return this.bytes;
  }

  /** Whether `frames` more frames of `bytes` bytes in all stay within the bounds. */
  fits(frames: number, bytes: number): boolean {
    return this.length + frames <= this.maxMessages && this.bytes + bytes <= this.maxBytes;
  }

  /**
   * Appends a frame.
   *
   * @throws `TaurusError` `SEND_QUEUE_FULL` when the queue is at its bound (nothing is queued)
   */
  push(frame: Uint8Array): void {
    if (this.length >= this.maxMessages || this.bytes + frame.length > this.maxBytes) {
      throw new TaurusError(
        "SEND_QUEUE_FULL",
        `offline queue is full (${this.length} messages, ${this.bytes} bytes)`,
      );
    }
    this.frames.push(frame);
    this.bytes += frame.length;
  }

  /**
   * Puts frames, in order, in front of the queue. They were accepted already
   * (they come back from a dropped connection), so the bounds do not apply:
   * nothing accepted is dropped.
   */
  unshift(frames: readonly Uint8Array[]): void {
    if (frames.length === 0) return;
    const rest = this.frames.slice(this.head);
    this.frames = [...frames, ...rest];
    this.head = 0;
    for (const frame of frames) this.bytes += frame.length;
  }

  /** The first frame, without removing it. */
  peek(): Uint8Array | undefined {
    return this.frames[this.head];
  }

  /** Removes and returns the first frame. */
  shift(): Uint8Array | undefined {
    if (this.head >= this.frames.length) return undefined;
    const frame = this.frames[this.head] as Uint8Array;
    this.frames[this.head] = EMPTY;
    this.head++;
    this.bytes -= frame.length;
    if (this.head === this.frames.length) {
      this.frames = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.frames.length) {
      this.frames = this.frames.slice(this.head);
      this.head = 0;
    }
    return frame;
  }

  /** Removes every frame; returns how many there were. */
  clear(): number {
    const n = this.length;
    this.frames = [];
    this.head = 0;
    this.bytes = 0;
    return n;
  }
}

const EMPTY = new Uint8Array(0);
