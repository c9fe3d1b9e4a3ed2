import { describe, expect, it } from "vitest";
import { backoffDelay } from "./backoff";

describe("backoffDelay", () => {
  it("stays within [d/2, d] with d = min(max, base * 2^(attempt-1))", () => {
    for (let attempt = 1; attempt <= 40; attempt++) {
      const d = Math.min(10_000, 1000 * 2 ** (attempt - 1));
      for (const r of [0, 0.25, 0.5, 0.999999]) {
        const delay = backoffDelay(attempt, 1000, 10_000, () => r);
        expect(delay).toBeGreaterThanOrEqual(d / 2);
        expect(delay).toBeLessThanOrEqual(d);
      }
    }
  });

  it("spreads clients out: different random draws give different delays", () => {
    const delays = new Set(
      Array.from({ length: 100 }, (_, i) => backoffDelay(3, 1000, 10_000, () => i / 100)),
    );
    expect(delays.size).toBe(100);
  });

  it("never overflows for huge attempts and copes with a zero base", () => {
    expect(backoffDelay(5000, 1000, 10_000, () => 1)).toBe(10_000);
    expect(backoffDelay(5000, 0, 10_000, () => 0.5)).toBe(0);
  });
});
