import { type Connection, TaurusError } from "@taurus/core-conn";

/**
 * What a server with sessions sends on a new connection before it has
 * answered the client's hello: held, so that the answer (welcome, refuse, or
 * lost then welcome) is the first frame the client reads, and what
 * `onConnect` sent is counted in the session it started (replayed after a
 * cut). A client that receives data before its answer takes the server for
 * one without sessions (the Go original).
 *
 * Released when the hello is answered, when the client's first frame is not
 * a hello (a client without sessions, a Go client), when the connection
 * closes (dropped: nothing was counted), or after the wait.
 *
 * @internal
 */
export class Greeting<M> {
  private held: Uint8Array[] | undefined = [];
  private bytes = 0;
  private readonly timer: NodeJS.Timeout;
  /** Callers of {@link Greeting.released} waiting for the end of the greeting. */
  private waiters: Array<() => void> | undefined;

  /**
   * @param conn - the new connection
   * @param wait - ms after which held frames go out even without a hello
   * @param maxMessages - frames held at most (the session's buffer bound)
   * @param maxBytes - bytes held at most (the session's buffer bound)
   * @param onWait - gets what was held when the wait ran out (no hello came)
   */
  constructor(
    private readonly conn: Connection<M>,
    wait: number,
    private readonly maxMessages: number,
    private readonly maxBytes: number,
    onWait: (held: Uint8Array[]) => void,
  ) {
    this.timer = setTimeout(() => onWait(this.release()), wait);
    this.timer.unref();
  }

  /** Whether frames are still held (the hello is not answered yet). */
  get holding(): boolean {
    return this.held !== undefined;
  }

  /** Frames held, and their bytes. */
  get size(): { frames: number; bytes: number } {
    return { frames: this.held?.length ?? 0, bytes: this.bytes };
  }

  /**
   * Holds `frame` when the greeting is not over.
   *
   * @returns `false` once released (the caller sends the frame itself)
   * @throws {@link TaurusError} `SEND_QUEUE_FULL` past the session's buffer bounds
   */
  take(frame: Uint8Array): boolean {
    const held = this.held;
    if (held === undefined) return false;
    if (held.length >= this.maxMessages || this.bytes + frame.length > this.maxBytes) {
      throw new TaurusError(
        "SEND_QUEUE_FULL",
        `connection ${this.conn.id}: ${held.length} messages wait for the session handshake`,
      );
    }
    held.push(frame);
    this.bytes += frame.length;
    return true;
  }

  /**
   * Stops holding.
   *
   * @returns what was held, in order (the session counts and writes it)
   */
  release(): Uint8Array[] {
    const held = this.held ?? [];
    this.held = undefined;
    clearTimeout(this.timer);
    this.wake();
    return held;
  }

  /** Resolves once frames are no longer held (released or disposed). */
  released(): Promise<void> {
    if (this.held === undefined) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiters ??= [];
      this.waiters.push(resolve);
    });
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = undefined;
    for (const resolve of waiters ?? []) resolve();
  }

  /** The hello arrived: frames stay held until it is answered, however long that takes. */
  answering(): void {
    clearTimeout(this.timer);
  }

  /** The connection closed: nothing more goes out. */
  dispose(): void {
    this.held = undefined;
    clearTimeout(this.timer);
    this.wake();
  }
}
