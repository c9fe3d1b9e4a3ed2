import { TaurusError } from "@taurus/core-conn";
import { describe, expect, it } from "vitest";
import { createMessageLimiter, DEFAULT_RATE, TokenBucket } from "./token-bucket";

function fakeClock(start = 1000) {
  const clock = { t: start, now: () => clock.t };
  return clock;
}

function codeOf(fn: () => unknown): { code: unknown; option: unknown } {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(TaurusError);
    expect((err as TaurusError).kind).toBe("system");
    const e = err as TaurusError;
    return { code: e.code, option: e.option };
  }
  throw new Error("expected a throw");
}

describe("TokenBucket", () => {
  it("starts full and takes up to burst", () => {
    const clock = fakeClock();
    const bucket = new TokenBucket({ rate: 10, burst: 5, now: clock.now });
    expect(bucket.tokens).toBe(5);
    for (let i = 0; i < 5; i++) expect(bucket.tryTake()).toBe(true);
    expect(bucket.tryTake()).toBe(false);
    expect(bucket.tokens).toBe(0);
  });

  it("refills continuously at rate, capped at burst", () => {
    const clock = fakeClock();
    const bucket = new TokenBucket({ rate: 10, burst: 5, now: clock.now });
    expect(bucket.tryTake(5)).toBe(true);
    clock.t += 100; // 10/s * 0.1 s = 1 token
    expect(bucket.tokens).toBe(1);
    expect(bucket.tryTake(2)).toBe(false);
    expect(bucket.tokens).toBe(1); // a failed take consumes nothing
    expect(bucket.tryTake()).toBe(true);
    clock.t += 10_000;
    expect(bucket.tokens).toBe(5);
  });

  it("refills fractional tokens", () => {
    const clock = fakeClock();
    const bucket = new TokenBucket({ rate: 4, burst: 2, now: clock.now });
    expect(bucket.tryTake(2)).toBe(true);
    clock.t += 125; // 0.5 token
    expect(bucket.tokens).toBe(0.5);
    expect(bucket.tryTake()).toBe(false);
    clock.t += 125;
    expect(bucket.tokens).toBe(1);
    expect(bucket.tryTake(0.75)).toBe(true);
    expect(bucket.tokens).toBe(0.25);
  });

  it("computes the delay until tokens are available, taking nothing", () => {
    const clock = fakeClock();
    const bucket = new TokenBucket({ rate: 10, burst: 10, now: clock.now });
    expect(bucket.delayUntilAvailable()).toBe(0);
    expect(bucket.tryTake(10)).toBe(true);
    expect(bucket.delayUntilAvailable()).toBe(100);
    expect(bucket.delayUntilAvailable(10)).toBe(1000);
    expect(bucket.delayUntilAvailable(0)).toBe(0);
    clock.t += 40;
    expect(bucket.delayUntilAvailable()).toBeCloseTo(60, 9);
    clock.t += 60;
    expect(bucket.delayUntilAvailable()).toBe(0);
    expect(bucket.tokens).toBe(1);
  });

  it("does not refill when the clock goes backwards", () => {
    const clock = fakeClock();
    const bucket = new TokenBucket({ rate: 10, burst: 1, now: clock.now });
    expect(bucket.tryTake()).toBe(true);
    clock.t -= 500;
    expect(bucket.tokens).toBe(0);
    clock.t += 100;
    expect(bucket.tokens).toBe(1);
  });

  it("treats rate Infinity as unlimited", () => {
    const clock = fakeClock();
    const bucket = new TokenBucket({ rate: Number.POSITIVE_INFINITY, burst: 1, now: clock.now });
    for (let i = 0; i < 1000; i++) expect(bucket.tryTake(5)).toBe(true);
    expect(bucket.tokens).toBe(Number.POSITIVE_INFINITY);
    expect(bucket.burst).toBe(Number.POSITIVE_INFINITY);
    expect(bucket.delayUntilAvailable(1e9)).toBe(0);
  });

  it("defaults to 100/s with burst 100", () => {
    const clock = fakeClock();
    const bucket = new TokenBucket({ now: clock.now });
    expect(bucket.rate).toBe(DEFAULT_RATE);
    expect(bucket.rate).toBe(100);
    expect(bucket.burst).toBe(100);
  });

  it("defaults burst to the rate rounded up, at least 1", () => {
    expect(new TokenBucket({ rate: 2.5 }).burst).toBe(3);
    expect(new TokenBucket({ rate: 0.1 }).burst).toBe(1);
  });

  it("uses performance.now by default", () => {
    const bucket = new TokenBucket({ rate: 1, burst: 1 });
    expect(bucket.tryTake()).toBe(true);
    expect(bucket.tokens).toBeLessThan(1);
  });

  it("validates options, naming the option", () => {
    expect(codeOf(() => new TokenBucket({ rate: 0 }))).toEqual({
      code: "INVALID_OPTION",
      option: "rate",
    });
    expect(codeOf(() => new TokenBucket({ rate: -1 })).option).toBe("rate");
    expect(codeOf(() => new TokenBucket({ rate: Number.NaN })).option).toBe("rate");
    expect(codeOf(() => new TokenBucket({ burst: 0 })).option).toBe("burst");
    expect(codeOf(() => new TokenBucket({ burst: 1.5 })).option).toBe("burst");
    expect(codeOf(() => new TokenBucket({ burst: Number.POSITIVE_INFINITY })).option).toBe("burst");
    expect(codeOf(() => new TokenBucket({ now: 5 as unknown as () => number })).option).toBe("now");
  });

  it("validates n", () => {
    const bucket = new TokenBucket({ rate: 10, burst: 5 });
    expect(codeOf(() => bucket.tryTake(6))).toEqual({ code: "INVALID_OPTION", option: "n" });
    expect(codeOf(() => bucket.tryTake(-1)).option).toBe("n");
    expect(codeOf(() => bucket.tryTake(Number.NaN)).option).toBe("n");
    expect(codeOf(() => bucket.delayUntilAvailable(6)).option).toBe("n");
  });

  it("does not mutate the options object", () => {
    const options = Object.freeze({ rate: 5 });
    const bucket = new TokenBucket(options);
    expect(bucket.burst).toBe(5);
    expect(options).toEqual({ rate: 5 });
  });
});

describe("createMessageLimiter", () => {
  it("mirrors rate.NewLimiter(r, r)", () => {
    const clock = fakeClock();
    const limiter = createMessageLimiter(3, clock.now);
    expect(limiter.rate).toBe(3);
    expect(limiter.burst).toBe(3);
    expect([limiter.tryTake(), limiter.tryTake(), limiter.tryTake(), limiter.tryTake()]).toEqual([
      true,
      true,
      true,
      false,
    ]);
    clock.t += 1000 / 3;
    expect(limiter.tryTake()).toBe(true);
  });

  it("defaults to DEFAULT_RATE", () => {
    const limiter = createMessageLimiter();
    expect(limiter.rate).toBe(100);
    expect(limiter.burst).toBe(100);
  });

  it("accepts Infinity and rejects rate <= 0", () => {
    expect(createMessageLimiter(Number.POSITIVE_INFINITY).tryTake()).toBe(true);
    expect(codeOf(() => createMessageLimiter(0))).toEqual({
      code: "INVALID_OPTION",
      option: "rate",
    });
  });
});
