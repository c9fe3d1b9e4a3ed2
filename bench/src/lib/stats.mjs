// A small HDR-like histogram of nanosecond values (log2 buckets, 128 linear sub-buckets each:
// under 1% error), plus formatting helpers.

const SUB = 128;
const MAX_EXP = 48; // 2^48 ns is about 3 days

export class Histogram {
  constructor() {
    this.counts = new Float64Array(MAX_EXP * SUB);
    this.count = 0;
    this.max = 0;
    this.min = Number.POSITIVE_INFINITY;
    this.sum = 0;
  }

  /** @param {number} ns a duration in nanoseconds */
  record(ns) {
    const v = Math.max(ns, 1);
    const e = Math.min(MAX_EXP - 1, Math.floor(Math.log2(v)));
    const m = Math.min(SUB - 1, Math.floor((v / 2 ** e - 1) * SUB));
    this.counts[e * SUB + m]++;
    this.count++;
    this.sum += v;
    if (v > this.max) this.max = v;
    if (v < this.min) this.min = v;
  }

  /**
   * @param {number} q a quantile in [0, 1]
   * @returns {number} the value (ns) at that quantile: the middle of its bucket
   */
  quantile(q) {
    if (this.count === 0) return Number.NaN;
    const rank = Math.ceil(q * this.count);
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i] ?? 0;
      if (seen >= rank && seen > 0) {
        const e = Math.floor(i / SUB);
        const m = i % SUB;
        const value = 2 ** e * (1 + (m + 0.5) / SUB);
        return Math.min(Math.max(value, this.min), this.max);
      }
    }
    return this.max;
  }

  /** @returns {{ count: number, p50: number, p99: number, p999: number, max: number, mean: number }} in µs */
  summary() {
    const us = (/** @type {number} */ ns) => round(ns / 1000, 1);
    return {
      count: this.count,
      p50: us(this.quantile(0.5)),
      p99: us(this.quantile(0.99)),
      p999: us(this.quantile(0.999)),
      max: us(this.max),
      mean: us(this.count ? this.sum / this.count : Number.NaN),
    };
  }
}

/**
 * @param {number} value
 * @param {number} digits
 * @returns {number}
 */
export function round(value, digits) {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/**
 * `a / b` rounded, or `null` when either is missing.
 * @param {number | null | undefined} a
 * @param {number | null | undefined} b
 * @returns {number | null}
 */
export function ratio(a, b) {
  if (a == null || b == null || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return null;
  return round(a / b, 3);
}

/**
 * A compact human form of a number: 3.51M, 270k, 12.3.
 * @param {number | null | undefined} n
 * @returns {string}
 */
export function human(n) {
  if (n == null || !Number.isFinite(n)) return "-";
  const a = Math.abs(n);
  if (a >= 1e6) return `${round(n / 1e6, 2)}M`;
  if (a >= 1e4) return `${round(n / 1e3, 1)}k`;
  if (a >= 100) return `${Math.round(n)}`;
  return `${round(n, 2)}`;
}

/**
 * Renders rows as a markdown table.
 * @param {string[]} head
 * @param {(string | number)[][]} rows
 * @returns {string}
 */
export function table(head, rows) {
  const line = (/** @type {(string | number)[]} */ cells) => `| ${cells.join(" | ")} |`;
  return [line(head), line(head.map(() => "---")), ...rows.map(line)].join("\n");
}
