import { type Clock, DEFAULT_CLOCK } from "./clock";
import { invalidOption } from "./errors";
import { TOKEN_EPSILON } from "./tolerance";
import { burstForRate, checkClock, checkCount, checkRate } from "./validate";

/**
 * The default rate in tokens per second: the Go server's message rate limit
 * (100 messages per second per connection).
 */
export const DEFAULT_RATE = 100;

/** Options of {@link TokenBucket}. */
export interface TokenBucketOptions {
  /**
   * Refill rate in tokens per second, a number > 0. `Infinity` means
   * unlimited: every take succeeds and no state is kept.
   *
   * @defaultValue {@link DEFAULT_RATE} (100)
   */
  rate?: number;
  /**
   * Bucket capacity: the largest burst, an integer >= 1. The bucket starts
   * full. Ignored when `rate` is `Infinity`.
   *
   * @defaultValue `rate` rounded up (at least 1), as Go's `rate.NewLimiter(r, r)`
   */
  burst?: number;
  /**
   * The clock, in milliseconds. Inject a fake one in tests.
   *
   * @defaultValue `() => performance.now()`
   */
  now?: Clock;
}

/**
 * A token bucket with the semantics of Go's `rate.NewLimiter(r, b)`: it starts
 * full with `burst` tokens and refills continuously at `rate` tokens per second,
 * never above `burst`. Taking tokens never blocks; a failed take consumes
 * nothing.
 *
 * Single-threaded: meant to be owned by one connection (or one event loop).
 *
 * @example
 * ```ts
 * const bucket = new TokenBucket({ rate: 100, burst: 100 });
 * if (!bucket.tryTake()) refuse(message, bucket.delayUntilAvailable());
 * ```
 */
export class TokenBucket {
  /** Refill rate in tokens per second (`Infinity` for unlimited). */
  readonly rate: number;
  /** Capacity in tokens (`Infinity` when the rate is unlimited). */
  readonly burst: number;
  private readonly clock: Clock;
  private readonly unlimited: boolean;
  private available: number;
  private last: number;

  /**
   * @param options - see {@link TokenBucketOptions}; the object is not kept or modified
   * @throws `TaurusError` (`code: "INVALID_OPTION"`) when `rate` is
   *   not > 0, `burst` is not an integer >= 1, or `now` is not a function
   */
  constructor(options: TokenBucketOptions = {}) {
    this.rate = checkRate("rate", options.rate ?? DEFAULT_RATE);
    this.unlimited = this.rate === Number.POSITIVE_INFINITY;
    const burst =
      options.burst === undefined
        ? burstForRate(this.rate)
        : checkCount("burst", options.burst, false);
    this.burst = this.unlimited ? Number.POSITIVE_INFINITY : burst;
    this.clock = checkClock("now", options.now ?? DEFAULT_CLOCK);
    this.available = this.burst;
    this.last = this.clock();
  }

  /**
   * The tokens available now (fractional), at most `burst`, below zero after
   * a {@link TokenBucket.charge} past them; `Infinity` when the rate is unlimited.
   */
  get tokens(): number {
    if (this.unlimited) return this.available;
    this.refill();
    return this.available;
  }

  /**
   * Takes `n` tokens if they are all available now. Allocation-free; meant to
   * be called once per message.
   *
   * @param n - tokens to take, a number in `[0, burst]`
   * @defaultValue `n`: 1
   * @returns `true` when the tokens were taken, `false` (nothing taken) otherwise
   * @throws `TaurusError` (`option: "n"`) when `n` is not in `[0, burst]`
   */
  tryTake(n = 1): boolean {
    if (!(n >= 0 && n <= this.burst)) throw invalidOption("n", `a number in [0, ${this.burst}]`, n);
    if (this.unlimited) return true;
    this.refill();
    if (this.available + TOKEN_EPSILON < n) return false;
    this.available -= n;
    return true;
  }

  /**
   * Takes `n` tokens whether or not they are available: the balance may go
   * below zero (a debt that the refill pays back first), so a cost known only
   * afterwards (the bytes of a frame just read) is still charged in full.
   * {@link TokenBucket.delayUntilAvailable} counts the debt.
   *
   * @param n - tokens to take, a number >= 0 (may exceed `burst`)
   * @throws `TaurusError` (`option: "n"`) when `n` is not a number >= 0
   */
  charge(n: number): void {
    if (!(n >= 0)) throw invalidOption("n", "a number >= 0", n);
    if (this.unlimited) return;
    this.refill();
    this.available -= n;
  }

  /**
   * Milliseconds until `n` tokens will be available, assuming nothing else
   * takes tokens meanwhile. Takes nothing.
   *
   * @param n - tokens wanted, a number in `[0, burst]`
   * @defaultValue `n`: 1
   * @returns 0 when `n` tokens are available now, otherwise the wait in ms
   * @throws `TaurusError` (`option: "n"`) when `n` is not in `[0, burst]`
   */
  delayUntilAvailable(n = 1): number {
    if (!(n >= 0 && n <= this.burst)) throw invalidOption("n", `a number in [0, ${this.burst}]`, n);
    if (this.unlimited) return 0;
    this.refill();
    const missing = n - this.available;
    return missing > TOKEN_EPSILON ? (missing * 1000) / this.rate : 0;
  }

  private refill(): void {
    const t = this.clock();
    const elapsed = t - this.last;
    // A clock going backwards refills nothing (as Go's limiter does).
    if (elapsed > 0) {
      const next = this.available + (elapsed * this.rate) / 1000;
      this.available = Math.min(next, this.burst);
    }
    this.last = t;
  }
}

/**
 * Creates the per-connection message limiter of the Go server:
 * `rate.NewLimiter(r, r)`, i.e. `rate` messages per second with a burst of
 * `rate` (rounded up, at least 1).
 *
 * @param rate - messages per second, a number > 0 (`Infinity` for unlimited)
 * @param now - the clock in milliseconds
 * @defaultValue `rate`: {@link DEFAULT_RATE} (100); `now`: `() => performance.now()`
 * @returns a full {@link TokenBucket}
 * @throws `TaurusError` (`option: "rate"`) when `rate` is not > 0
 */
export function createMessageLimiter(rate: number = DEFAULT_RATE, now?: Clock): TokenBucket {
  return new TokenBucket(now === undefined ? { rate } : { rate, now });
}
