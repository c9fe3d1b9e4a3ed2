import { TaurusError } from "@taurus/core-conn";

/** Largest sequence number: sequences are u32 and 0 is never used. */
export const MAX_SEQUENCE = 0xffffffff;

interface Pending<M> {
  resolve: (message: M) => void;
  reject: (error: TaurusError) => void;
  timer: NodeJS.Timeout;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  /** The connection the request's frame was handed to; `undefined` while it waits offline. */
  sentOn: unknown;
  /** The request's encoded frame. */
  frame: Uint8Array;
}

/**
 * The table of requests waiting for their replies, keyed by sequence number.
 * Bounded; every settlement (reply, timeout, abort, disconnect) removes the
 * entry, its timer and its abort listener.
 *
 * @internal
 */
export class PendingRequests<M> {
  private readonly table = new Map<number, Pending<M>>();
  private last = 0;

  constructor(
    private readonly max: number,
    private readonly onTimeout: (error: TaurusError) => void,
  ) {}

  /** Requests waiting. */
  get size(): number {
    return this.table.size;
  }

  /** Whether `sequence` is waiting for its reply. */
  has(sequence: number): boolean {
    return this.table.has(sequence);
  }

  /**
   * The next sequence number: a wrapping u32 counter that skips 0 and the
   * sequences still pending.
   *
   * @throws `TaurusError` `TOO_MANY_PENDING` when the table is full
   */
  allocate(): number {
    if (this.table.size >= this.max) {
      throw new TaurusError(
        "TOO_MANY_PENDING",
        `${this.table.size} requests are waiting for replies`,
      );
    }
    let sequence = this.last;
    do {
      sequence = sequence >= MAX_SEQUENCE ? 1 : sequence + 1;
    } while (this.table.has(sequence));
    this.last = sequence;
    return sequence;
  }

  /**
   * Registers request `sequence`, with its timeout and abort signal.
   *
   * @returns a promise settled by {@link PendingRequests.resolve}, the timeout,
   *   the signal, or {@link PendingRequests.reject}
   */
  add(
    sequence: number,
    frame: Uint8Array,
    timeout: number,
    signal: AbortSignal | undefined,
  ): Promise<M> {
    return new Promise<M>((resolve, reject) => {
      const timer = setTimeout(() => {
        const error = new TaurusError(
          "REQUEST_TIMEOUT",
          `request ${sequence} got no reply within ${timeout} ms`,
        );
        if (this.reject(sequence, error)) this.onTimeout(error);
      }, timeout);
      timer.unref?.();
      const entry: Pending<M> = {
        resolve,
        reject,
        timer,
        signal,
        onAbort: undefined,
        sentOn: undefined,
        frame,
      };
      if (signal) {
        entry.onAbort = () => {
          this.reject(
            sequence,
            new TaurusError("ABORTED", `request ${sequence} was aborted`, { cause: signal.reason }),
          );
        };
        signal.addEventListener("abort", entry.onAbort, { once: true });
      }
      this.table.set(sequence, entry);
    });
  }

  /** Whether `frame` is the frame of request `sequence` and that request is still pending. */
  isPending(sequence: number, frame: Uint8Array): boolean {
    return this.table.get(sequence)?.frame === frame;
  }

  /** Records the connection the frame of request `sequence` was handed to. */
  markSent(sequence: number, frame: Uint8Array, connection: unknown): void {
    const entry = this.table.get(sequence);
    if (entry?.frame === frame) entry.sentOn = connection;
  }

  /**
   * Settles request `sequence` with its reply.
   *
   * @returns `true` when the request was pending
   */
  resolve(sequence: number, reply: M): boolean {
    const entry = this.remove(sequence);
    if (!entry) return false;
    entry.resolve(reply);
    return true;
  }

  /**
   * Rejects request `sequence`.
   *
   * @returns `true` when the request was pending
   */
  reject(sequence: number, error: TaurusError): boolean {
    const entry = this.remove(sequence);
    if (!entry) return false;
    entry.reject(error);
    return true;
  }

  /**
   * Rejects every request handed to `connection` (every request when
   * `connection` is `undefined`).
   *
   * @returns the sequences rejected
   */
  rejectSentOn(connection: unknown, error: TaurusError): Set<number> {
    const rejected = new Set<number>();
    for (const [sequence, entry] of this.table) {
      if (connection !== undefined && entry.sentOn !== connection) continue;
      rejected.add(sequence);
    }
    for (const sequence of rejected) this.reject(sequence, error);
    return rejected;
  }

  private remove(sequence: number): Pending<M> | undefined {
    const entry = this.table.get(sequence);
    if (!entry) return undefined;
    this.table.delete(sequence);
    clearTimeout(entry.timer);
    if (entry.onAbort) entry.signal?.removeEventListener("abort", entry.onAbort);
    return entry;
  }
}
