/**
 * A value that goes up and down (current connections, queue depth).
 *
 * @example
 * ```ts
 * const depth = new Gauge();
 * depth.inc();
 * depth.dec();
 * depth.set(42);
 * ```
 */
export class Gauge {
  private current = 0;

  /** The current value. Starts at 0. */
  get value(): number {
    return this.current;
  }

  /**
   * Sets the value. Unchecked (hot path).
   *
   * @param value - the new value
   */
  set(value: number): void {
    this.current = value;
  }

  /**
   * Adds `n`. Unchecked (hot path).
   *
   * @param n - the amount to add
   * @defaultValue `n`: 1
   */
  inc(n = 1): void {
    this.current += n;
  }

  /**
   * Subtracts `n`. Unchecked (hot path); the value may go below 0.
   *
   * @param n - the amount to subtract
   * @defaultValue `n`: 1
   */
  dec(n = 1): void {
    this.current -= n;
  }

  /** Sets the value back to 0. */
  reset(): void {
    this.current = 0;
  }
}
