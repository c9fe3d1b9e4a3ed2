import { describe, expect, it } from "vitest";
import { SharedBuckets } from "./shared-buckets";
import { TokenBucket } from "./token-bucket";

function fakeClock(start = 1000) {
  const clock = { t: start, now: () => clock.t };
  return clock;
}

describe("SharedBuckets", () => {
  it("shares one bucket among the holders of a key; other keys have their own", () => {
    const clock = fakeClock();
    const buckets = new SharedBuckets({ rate: 10, burst: 5, now: clock.now });
    const a1 = buckets.acquire("a");
    const a2 = buckets.acquire("a");
    const b = buckets.acquire("b");
    expect(a1.bucket).toBe(a2.bucket);
    for (let i = 0; i < 3; i++) expect(a1.bucket.tryTake()).toBe(true);
    for (let i = 0; i < 2; i++) expect(a2.bucket.tryTake()).toBe(true);
    expect(a1.bucket.tryTake()).toBe(false);
    expect(b.bucket.tryTake()).toBe(true);
    expect(buckets.size).toBe(2);
  });

  it("keeps a drained key after its last holder leaves, and forgets it once full again", () => {
    const clock = fakeClock();
    const buckets = new SharedBuckets({ rate: 10, burst: 5, now: clock.now });
    const a = buckets.acquire("a");
    a.bucket.tryTake(5);
    a.release();
    a.release();
    // Reconnecting does not refill the bucket.
    const again = buckets.acquire("a");
    expect(again.bucket.tryTake()).toBe(false);
    again.release();
    clock.t += 1000;
    buckets.acquire("z").release(); // trims the old end
    expect(buckets.size).toBe(0);
    const full = buckets.acquire("b");
    full.release();
    expect(buckets.size).toBe(0); // full and unheld: forgotten at once
  });

  it("stays bounded with many keys, never forgetting held ones", () => {
    const clock = fakeClock();
    const buckets = new SharedBuckets({ rate: 1, burst: 1, maxKeys: 10, now: clock.now });
    const held = buckets.acquire("held");
    held.bucket.tryTake();
    for (let i = 0; i < 1000; i++) {
      const s = buckets.acquire(`k${i}`);
      s.bucket.tryTake();
      s.release();
    }
    expect(buckets.size).toBe(10);
    expect(buckets.acquire("held").bucket).toBe(held.bucket);
  });

  it("validates options, naming the option", () => {
    expect(() => new SharedBuckets({ rate: 0 })).toThrow(
      expect.objectContaining({ option: "rate" }),
    );
    expect(() => new SharedBuckets({ maxKeys: 0 })).toThrow(
      expect.objectContaining({ option: "maxKeys" }),
    );
  });
});

describe("TokenBucket.charge", () => {
  it("charges past the balance into a debt that the refill pays back first", () => {
    const clock = fakeClock();
    const bucket = new TokenBucket({ rate: 100, burst: 10, now: clock.now });
    bucket.charge(30);
    expect(bucket.tokens).toBe(-20);
    expect(bucket.tryTake()).toBe(false);
    expect(bucket.delayUntilAvailable()).toBeCloseTo(210, 5);
    clock.t += 210;
    expect(bucket.tryTake()).toBe(true);
    expect(() => bucket.charge(-1)).toThrow(expect.objectContaining({ option: "n" }));
    const unlimited = new TokenBucket({ rate: Number.POSITIVE_INFINITY });
    unlimited.charge(1e9);
    expect(unlimited.tryTake()).toBe(true);
  });
});
