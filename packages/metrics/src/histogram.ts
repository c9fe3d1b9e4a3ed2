import { invalidOption } from "./errors";
import { BUCKET_COUNT, bucketIndex, bucketLowerBound, bucketUpperBound } from "./histogram-buckets";

/**
 * A latency histogram in nanoseconds with fixed log-linear buckets from
 * ≈ 1 µs to ≈ 68.7 s (see {@link HISTOGRAM_MIN_NS}, {@link HISTOGRAM_MAX_NS}).
 * `record()` is O(1) and allocation-free; memory is fixed (418 counters).
 *
 * `count`, `sum`, `min` and `max` are exact. {@link Histogram.percentile} is
 * an estimate: within the log-linear range its relative error is below
 * {@link HISTOGRAM_RELATIVE_ERROR} (6.25 %); below 1024 ns its absolute
 * error is below 1024 ns; above `2^36` ns it reports values between
 * `2^36` ns and `max`.
 *
 * @example
 * ```ts
 * const latency = new Histogram();
 * const start = process.hrtime.bigint();
 * await handle(message);
 * latency.record(Number(process.hrtime.bigint() - start));
 * latency.percentile(99); // ns
 * ```
 */
export class Histogram {
  private readonly buckets = new Float64Array(BUCKET_COUNT);
  private total = 0;
  private totalNs = 0;
  private lowest = Number.POSITIVE_INFINITY;
  private highest = 0;

  /** Number of recorded values. */
  get count(): number {
    return this.total;
  }

  /** Sum of recorded values, in ns. */
  get sum(): number {
    return this.totalNs;
  }

  /** Smallest recorded value in ns; 0 when empty. */
  get min(): number {
    return this.total === 0 ? 0 : this.lowest;
  }

  /** Largest recorded value in ns; 0 when empty. */
  get max(): number {
    return this.highest;
  }

  /**
   * Records one value. O(1), allocation-free, never throws. Negative values
   * and NaN are recorded as 0; pass finite numbers (convert a `bigint` from
   * `process.hrtime.bigint()` with `Number()`).
   *
   * @param ns - a duration in nanoseconds
   */
  record(ns: number): void {
    let v = ns;
    if (!(v > 0)) v = 0; // negative and NaN
    (this.buckets[bucketIndex(v)] as number)++;
    this.total++;
    this.totalNs += v;
    if (v < this.lowest) this.lowest = v;
    if (v > this.highest) this.highest = v;
  }

  /**
   * Estimates the `p`-th percentile (nearest rank) in ns: finds the bucket
   * holding the rank, interpolates linearly inside it, and clamps to
   * `[min, max]`. `percentile(0)` is `min` and `percentile(100)` is `max`,
   * exactly. O(number of buckets).
   *
   * @param p - the percentile, a number in `[0, 100]`
   * @returns the estimate in ns; 0 when empty
   * @throws `TaurusError` (`option: "p"`) when `p` is not in `[0, 100]`
   */
  percentile(p: number): number {
    if (!(p >= 0 && p <= 100)) throw invalidOption("p", "a number in [0, 100]", p);
    if (this.total === 0) return 0;
    if (p === 0) return this.lowest;
    if (p === 100) return this.highest;
    const rank = Math.max(1, Math.ceil((p / 100) * this.total));
    let seen = 0;
    for (let i = 0; i < BUCKET_COUNT; i++) {
      const inBucket = this.buckets[i] as number;
      if (inBucket === 0 || seen + inBucket < rank) {
        seen += inBucket;
        continue;
      }
      const lo = bucketLowerBound(i);
      const hi = Math.min(bucketUpperBound(i), this.highest);
      const estimate = lo + ((hi - lo) * (rank - seen)) / inBucket;
      return Math.min(Math.max(estimate, this.lowest), this.highest);
    }
    return this.highest;
  }

  /** Forgets every recorded value. */
  reset(): void {
    this.buckets.fill(0);
    this.total = 0;
    this.totalNs = 0;
    this.lowest = Number.POSITIVE_INFINITY;
    this.highest = 0;
  }
}
