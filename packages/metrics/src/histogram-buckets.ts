/*
 * Bucket layout of Histogram: log-linear (as HdrHistogram), i.e.
 * every power-of-two range `[2^e, 2^(e+1))` is split into
 * {@link HISTOGRAM_SUB_BUCKETS} equal sub-buckets, for `e` from 10
 * (`2^10` ns ≈ 1 µs) to 35 (`2^36` ns ≈ 68.7 s). One underflow bucket holds
 * `[0, 1024)` ns and one overflow bucket `[2^36, ∞)` ns.
 *
 * A bucket is at most 1/16 of its lower bound wide, which bounds the
 * relative error of percentile estimates; see HISTOGRAM_RELATIVE_ERROR.
 */

/** Sub-buckets per power of two: 16. */
export const HISTOGRAM_SUB_BUCKETS = 16;

/** Lower bound of the log-linear range, in ns: `2^10` = 1024 ns (≈ 1 µs). */
export const HISTOGRAM_MIN_NS = 2 ** 10;

/** Upper bound of the log-linear range, in ns: `2^36` ≈ 68.7 s. */
export const HISTOGRAM_MAX_NS = 2 ** 36;

/**
 * Worst-case relative error of a percentile estimate for values within
 * `[HISTOGRAM_MIN_NS, HISTOGRAM_MAX_NS)`: 1/16 = 6.25 %.
 */
export const HISTOGRAM_RELATIVE_ERROR = 1 / HISTOGRAM_SUB_BUCKETS;

const SUB_BITS = 4; // log2(HISTOGRAM_SUB_BUCKETS)
const MIN_EXP = 10;
const MAX_EXP = 36;
const TWO_32 = 2 ** 32;

/**
 * Total number of buckets: underflow, 26 × 16 log-linear, overflow (418).
 *
 * @internal
 */
export const BUCKET_COUNT = 2 + (MAX_EXP - MIN_EXP) * HISTOGRAM_SUB_BUCKETS;

/** `SCALE[e] = 2^-(e - SUB_BITS)`: maps `[2^e, 2^(e+1))` to `[16, 32)`. */
const SCALE = new Float64Array(MAX_EXP);
for (let e = MIN_EXP; e < MAX_EXP; e++) SCALE[e] = 2 ** -(e - SUB_BITS);

/**
 * The bucket of a value in ns. O(1), allocation-free: the exponent comes from
 * `Math.clz32` (on the high word above 2^32), the sub-bucket from one exact
 * multiplication by a power of two.
 *
 * @param ns - a value >= 0 (NaN is not handled here)
 * @internal
 */
export function bucketIndex(ns: number): number {
  if (ns < HISTOGRAM_MIN_NS) return 0;
  if (ns >= HISTOGRAM_MAX_NS) return BUCKET_COUNT - 1;
  const e = ns < TWO_32 ? 31 - Math.clz32(ns) : 63 - Math.clz32(ns / TWO_32);
  const sub = Math.floor(ns * (SCALE[e] as number)) - HISTOGRAM_SUB_BUCKETS;
  return 1 + (e - MIN_EXP) * HISTOGRAM_SUB_BUCKETS + sub;
}

/**
 * Inclusive lower bound of bucket `i`, in ns.
 *
 * @internal
 */
export function bucketLowerBound(i: number): number {
  if (i <= 0) return 0;
  if (i >= BUCKET_COUNT - 1) return HISTOGRAM_MAX_NS;
  const e = MIN_EXP + Math.floor((i - 1) / HISTOGRAM_SUB_BUCKETS);
  const sub = (i - 1) % HISTOGRAM_SUB_BUCKETS;
  return 2 ** (e - SUB_BITS) * (HISTOGRAM_SUB_BUCKETS + sub);
}

/**
 * Exclusive upper bound of bucket `i`, in ns (`Infinity` for the overflow bucket).
 *
 * @internal
 */
export function bucketUpperBound(i: number): number {
  return i >= BUCKET_COUNT - 1 ? Number.POSITIVE_INFINITY : bucketLowerBound(i + 1);
}
