/**
 * A monotonically increasing count. A plain JavaScript number: exact up to
 * 2^53 (`Number.MAX_SAFE_INTEGER`), far past 2^32.
 *
 * @example
 * ```ts
 * const messages = new Counter();
 * messages.inc();
 * messages.inc(3);
 * messages.value; // 4
 * ```
 */
export class Counter {
  private count = 0;

  /** The current count. Starts at 0. */
  get value(): number {
    return this.count;
  }

  /**
   * Adds `n`. Allocation-free and unchecked (hot path): `n` must be a
   * non-negative finite number.
   *
   * @param n - the amount to add
   * @defaultValue `n`: 1
   */
  inc(n = 1): void {
    this.count += n;
  }

  /** Sets the count back to 0. */
  reset(): void {
    this.count = 0;
  }
}
