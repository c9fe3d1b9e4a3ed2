/**
 * The sending half of a session: counts the data frames sent and keeps those
 * the peer has not acknowledged, in order, within bounds (messages and bytes).
 * Frame `i` (1-based) is the `i`-th data frame sent on the session.
 *
 * @internal used by `@taurus/server` and `@taurus/client`
 */
export class Outbox {
  /** Data frames sent on the session. */
  sent = 0;
  /** Data frames the peer confirmed. */
  acknowledged = 0;
  /** Bytes held. */
  bytes = 0;
  private frames: Uint8Array[] = [];
  private head = 0;

  constructor(
    private readonly maxMessages: number,
    private readonly maxBytes: number,
  ) {}

  /** Frames held (`sent - acknowledged`). */
  get length(): number {
    return this.sent - this.acknowledged;
  }

  /**
   * Whether `frames` more frames (one by default) of `bytes` bytes in all stay
   * within the bounds: a sender whose peer is connected refuses a frame that
   * does not fit (`SEND_QUEUE_FULL`) rather than ending the session.
   */
  fits(bytes: number, frames = 1): boolean {
    return this.length + frames <= this.maxMessages && this.bytes + bytes <= this.maxBytes;
  }

  /**
   * Records a sent frame.
   *
   * @returns `false` when holding it passes a bound (the session must be ended as lost);
   *   the frame is counted either way
   */
  push(frame: Uint8Array): boolean {
    this.frames.push(frame);
    this.sent++;
    this.bytes += frame.length;
    return this.length <= this.maxMessages && this.bytes <= this.maxBytes;
  }

  /**
   * The peer processed `count` frames (cumulative): drops them. A count below
   * the current one is ignored; above `sent` it is an error of the peer.
   *
   * @returns `false` when `count` exceeds what was sent
   */
  acknowledge(count: number): boolean {
    if (!Number.isSafeInteger(count) || count > this.sent) return false;
    while (this.acknowledged < count) {
      const frame = this.frames[this.head] as Uint8Array;
      this.frames[this.head++] = EMPTY;
      this.bytes -= frame.length;
      this.acknowledged++;
    }
    if (this.head > 1024 && this.head * 2 > this.frames.length) {
      this.frames = this.frames.slice(this.head);
      this.head = 0;
    }
    return true;
  }

  /**
   * Loads a session's state from a store (a session resumed from a shared
   * store): `frames` are the frames after `acknowledged`, up to `sent`.
   */
  restore(sent: number, acknowledged: number, frames: readonly Uint8Array[]): void {
    this.frames = [...frames];
    this.head = 0;
    this.sent = sent;
    this.acknowledged = acknowledged;
    this.bytes = 0;
    for (const frame of frames) this.bytes += frame.length;
  }

  /**
   * Frame number `index` (1-based), while it is held.
   *
   * @returns the frame, or `undefined` when it was acknowledged or not sent yet
   */
  at(index: number): Uint8Array | undefined {
    if (index <= this.acknowledged || index > this.sent) return undefined;
    return this.frames[this.head + (index - this.acknowledged - 1)];
  }

  /** The frames not acknowledged, oldest first (to send again on a new connection). */
  unacknowledged(): Uint8Array[] {
    return this.frames.slice(this.head);
  }

  /** Forgets every frame (the session ended). @returns how many were held */
  clear(): number {
    const held = this.length;
    this.frames = [];
    this.head = 0;
    this.bytes = 0;
    this.acknowledged = this.sent;
    return held;
  }
}

const EMPTY = new Uint8Array(0);

/**
 * The receiving half of a session: the count of data frames processed, and
 * when to acknowledge it (every `every` frames, or `interval` ms after the
 * first unacknowledged one).
 *
 * @internal
 */
export class Inbox {
  /** Data frames processed. */
  received = 0;
  /** The count last acknowledged to the peer. */
  acknowledged = 0;

  constructor(private readonly every: number) {}

  /** Counts one processed frame. @returns `true` when an ack is due now */
  processed(): boolean {
    this.received++;
    return this.received - this.acknowledged >= this.every;
  }
}
