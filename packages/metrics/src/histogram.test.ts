import { TaurusError } from "@taurus/core-conn";
import { describe, expect, it } from "vitest";
import { Histogram } from "./histogram";
import {
  BUCKET_COUNT,
  bucketIndex,
  bucketLowerBound,
  bucketUpperBound,
  HISTOGRAM_MAX_NS,
  HISTOGRAM_MIN_NS,
  HISTOGRAM_RELATIVE_ERROR,
} from "./histogram-buckets";

/** Exact nearest-rank percentile of sorted values. */
function exact(sorted: number[], p: number): number {
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] as number;
}

/** A deterministic PRNG (mulberry32), so tests never depend on luck. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PERCENTILES = [1, 10, 25, 50, 75, 90, 95, 99, 99.9];

function checkWithinBound(values: number[]): void {
  const histogram = new Histogram();
  for (const v of values) histogram.record(v);
  const sorted = [...values].sort((a, b) => a - b);
  for (const p of PERCENTILES) {
    const truth = exact(sorted, p);
    const estimate = histogram.percentile(p);
    const bound = truth >= HISTOGRAM_MIN_NS ? truth * HISTOGRAM_RELATIVE_ERROR : HISTOGRAM_MIN_NS;
    expect(Math.abs(estimate - truth), `p${p}: ${estimate} vs ${truth}`).toBeLessThanOrEqual(bound);
  }
}

describe("histogram buckets", () => {
  it("are contiguous and each value falls in its bucket", () => {
    expect(BUCKET_COUNT).toBe(418);
    for (let i = 0; i < BUCKET_COUNT - 1; i++) {
      expect(bucketUpperBound(i)).toBe(bucketLowerBound(i + 1));
      expect(bucketIndex(bucketLowerBound(i))).toBe(i);
      if (i > 0) expect(bucketIndex(bucketLowerBound(i + 1) - 0.5)).toBe(i);
    }
    expect(bucketIndex(0)).toBe(0);
    expect(bucketIndex(1023.9)).toBe(0);
    expect(bucketIndex(1024)).toBe(1);
    expect(bucketIndex(2 ** 32 - 1)).toBeLessThan(bucketIndex(2 ** 32));
    expect(bucketIndex(HISTOGRAM_MAX_NS - 1)).toBe(BUCKET_COUNT - 2);
    expect(bucketIndex(HISTOGRAM_MAX_NS)).toBe(BUCKET_COUNT - 1);
    expect(bucketIndex(1e15)).toBe(BUCKET_COUNT - 1);
    expect(bucketUpperBound(BUCKET_COUNT - 1)).toBe(Number.POSITIVE_INFINITY);
  });

  it("are never wider than the relative error bound", () => {
    for (let i = 1; i < BUCKET_COUNT - 1; i++) {
      const lo = bucketLowerBound(i);
      expect(bucketUpperBound(i) - lo).toBeLessThanOrEqual(lo * HISTOGRAM_RELATIVE_ERROR);
    }
  });
});

describe("Histogram", () => {
  it("is all zeros when empty", () => {
    const h = new Histogram();
    expect([h.count, h.sum, h.min, h.max, h.percentile(50), h.percentile(99)]).toEqual([
      0, 0, 0, 0, 0, 0,
    ]);
  });

  it("keeps count, sum, min and max exactly", () => {
    const h = new Histogram();
    for (const v of [5_000, 1_000_000, 250, 70_000_000_000, 42]) h.record(v);
    expect(h.count).toBe(5);
    expect(h.sum).toBe(70_001_005_292);
    expect(h.min).toBe(42);
    expect(h.max).toBe(70_000_000_000);
    expect(h.percentile(0)).toBe(42);
    expect(h.percentile(100)).toBe(70_000_000_000);
  });

  it("records negative values and NaN as 0", () => {
    const h = new Histogram();
    h.record(-5);
    h.record(Number.NaN);
    expect([h.count, h.sum, h.min, h.max]).toEqual([2, 0, 0, 0]);
  });

  it("estimates a single repeated value within the bound", () => {
    const h = new Histogram();
    for (let i = 0; i < 1000; i++) h.record(123_456);
    // Clamping to [min, max] makes a constant distribution exact.
    expect(h.percentile(50)).toBe(123_456);
    expect(h.percentile(99)).toBe(123_456);
  });

  it("estimates uniform 1 µs..100 ms within the documented bound", () => {
    const values: number[] = [];
    for (let i = 1; i <= 100_000; i++) values.push(i * 1000);
    checkWithinBound(values);
  });

  it("estimates a log-uniform 100 ns..60 s distribution within the bound", () => {
    const random = prng(1);
    const values: number[] = [];
    for (let i = 0; i < 50_000; i++) values.push(100 * 10 ** (random() * Math.log10(6e8)));
    checkWithinBound(values);
  });

  it("estimates a bimodal distribution within the bound", () => {
    const random = prng(2);
    const values: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      values.push(random() < 0.9 ? 20_000 + random() * 5_000 : 2e9 + random() * 1e9);
    }
    checkWithinBound(values);
  });

  it("resets", () => {
    const h = new Histogram();
    h.record(10_000);
    h.reset();
    expect([h.count, h.sum, h.min, h.max, h.percentile(50)]).toEqual([0, 0, 0, 0, 0]);
    h.record(2_000);
    expect([h.min, h.max]).toEqual([2_000, 2_000]);
  });

  it("rejects percentiles outside [0, 100]", () => {
    const h = new Histogram();
    for (const p of [-1, 101, Number.NaN]) {
      try {
        h.percentile(p);
        expect.unreachable();
      } catch (err) {
        expect(err).toBeInstanceOf(TaurusError);
        expect((err as TaurusError).code).toBe("INVALID_OPTION");
        expect((err as TaurusError).option).toBe("p");
      }
    }
  });
});
