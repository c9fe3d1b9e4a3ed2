/**
 * One consumer of `for await (const msg of client)`: a bounded buffer. When it
 * holds `highWaterMark` messages it reports itself full (the client pauses the
 * connection); once drained to half of that it reports itself drained.
 *
 * @internal
 */
export class MessageIterator<M> implements AsyncIterableIterator<M> {
  private buffer: M[] = [];
  private head = 0;
  private waiting: ((result: IteratorResult<M>) => void) | undefined;
  private ended = false;
  private full = false;

  constructor(
    private readonly highWaterMark: number,
    private readonly onFull: () => void,
    private readonly onDrained: () => void,
    private readonly onDone: (iterator: MessageIterator<M>) => void,
  ) {}

  /** Messages buffered and not yet consumed. */
  get buffered(): number {
    return this.buffer.length - this.head;
  }

  /** Adds a message (ignored once ended). */
  push(message: M): void {
    if (this.ended) return;
    const waiting = this.waiting;
    if (waiting) {
      this.waiting = undefined;
      waiting({ value: message, done: false });
      return;
    }
    this.buffer.push(message);
    if (!this.full && this.buffered >= this.highWaterMark) {
      this.full = true;
      this.onFull();
    }
  }

  /** Ends the iteration once the buffered messages are consumed. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.release();
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.({ value: undefined, done: true });
    if (this.buffered === 0) this.onDone(this);
  }

  next(): Promise<IteratorResult<M>> {
    if (this.head < this.buffer.length) {
      const value = this.buffer[this.head] as M;
      this.buffer[this.head] = undefined as M;
      this.head++;
      if (this.head === this.buffer.length) {
        this.buffer = [];
        this.head = 0;
      } else if (this.head >= 1024 && this.head * 2 >= this.buffer.length) {
        this.buffer = this.buffer.slice(this.head);
        this.head = 0;
      }
      if (this.full && this.buffered * 2 <= this.highWaterMark) this.release();
      if (this.ended && this.buffered === 0) this.onDone(this);
      return Promise.resolve({ value, done: false });
    }
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    if (this.waiting) {
      return Promise.reject(new TypeError("next() called again before the previous call settled"));
    }
    return new Promise((resolve) => {
      this.waiting = resolve;
    });
  }

  return(): Promise<IteratorResult<M>> {
    this.buffer = [];
    this.head = 0;
    this.end();
    this.onDone(this);
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private release(): void {
    if (!this.full) return;
    this.full = false;
    this.onDrained();
  }
}
