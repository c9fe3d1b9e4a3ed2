import { TaurusError } from "@taurus/core-conn";
import { describe, expect, it } from "vitest";
import { ConnectionLimiter, type ConnectionPermit } from "./connection-limiter";

function fakeClock(start = 1000) {
  const clock = { t: start, now: () => clock.t };
  return clock;
}

function permit(limiter: ConnectionLimiter, ip: string): ConnectionPermit {
  const decision = limiter.tryAcquire(ip);
  if (!decision.ok) throw new Error(`refused: ${decision.reason}`);
  return decision;
}

function optionOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(TaurusError);
    expect((err as TaurusError).code).toBe("INVALID_OPTION");
    return (err as TaurusError).option;
  }
  throw new Error("expected a throw");
}

describe("ConnectionLimiter", () => {
  it("allows everything and tracks nothing with no limits set", () => {
    const limiter = new ConnectionLimiter();
    for (let i = 0; i < 10_000; i++) expect(limiter.tryAcquire("10.0.0.1").ok).toBe(true);
    expect(limiter.size).toBe(0);
  });

  it("limits the rate of new connections per address", () => {
    const clock = fakeClock();
    const limiter = new ConnectionLimiter({ perIpRate: 2, perIpBurst: 3, now: clock.now });
    for (let i = 0; i < 3; i++) permit(limiter, "a").release();
    expect(limiter.tryAcquire("a")).toEqual({ ok: false, reason: "rate" });
    // Other addresses have their own bucket.
    expect(limiter.tryAcquire("b").ok).toBe(true);
    clock.t += 499;
    expect(limiter.tryAcquire("a")).toEqual({ ok: false, reason: "rate" });
    clock.t += 1; // 2/s * 0.5 s = 1 token
    expect(limiter.tryAcquire("a").ok).toBe(true);
    expect(limiter.tryAcquire("a")).toEqual({ ok: false, reason: "rate" });
  });

  it("limits concurrent connections per address; release is idempotent", () => {
    const clock = fakeClock();
    const limiter = new ConnectionLimiter({ maxPerIp: 2, now: clock.now });
    const first = permit(limiter, "a");
    const second = permit(limiter, "a");
    expect(limiter.tryAcquire("a")).toEqual({ ok: false, reason: "concurrent" });
    expect(limiter.tryAcquire("b").ok).toBe(true);
    first.release();
    first.release();
    first.release();
    const third = permit(limiter, "a");
    expect(limiter.tryAcquire("a")).toEqual({ ok: false, reason: "concurrent" });
    second.release();
    third.release();
    expect(limiter.size).toBe(1); // "b" still holds a connection
  });

  it("checks concurrency before rate and a refusal consumes no token", () => {
    const clock = fakeClock();
    const limiter = new ConnectionLimiter({
      perIpRate: 1,
      perIpBurst: 2,
      maxPerIp: 1,
      now: clock.now,
    });
    const held = permit(limiter, "a");
    for (let i = 0; i < 5; i++) {
      expect(limiter.tryAcquire("a")).toEqual({ ok: false, reason: "concurrent" });
    }
    held.release();
    permit(limiter, "a").release(); // the second token is still there
    expect(limiter.tryAcquire("a")).toEqual({ ok: false, reason: "rate" });
  });

  it("forgets an address once idle with a full bucket", () => {
    const clock = fakeClock();
    const limiter = new ConnectionLimiter({ perIpRate: 10, perIpBurst: 1, now: clock.now });
    const p = permit(limiter, "a");
    expect(limiter.size).toBe(1);
    clock.t += 100; // bucket full again, but the connection is open
    expect(limiter.sweep()).toBe(0);
    p.release(); // idle and full: forgotten at once
    expect(limiter.size).toBe(0);

    permit(limiter, "b").release(); // idle but drained: kept
    expect(limiter.size).toBe(1);
    expect(limiter.sweep()).toBe(0);
    clock.t += 100;
    expect(limiter.sweep()).toBe(1);
    expect(limiter.size).toBe(0);
  });

  it("cleans up old idle entries lazily on tryAcquire", () => {
    const clock = fakeClock();
    const limiter = new ConnectionLimiter({ perIpRate: 10, perIpBurst: 1, now: clock.now });
    for (let i = 0; i < 100; i++) permit(limiter, `10.0.0.${i}`).release();
    expect(limiter.size).toBe(100);
    clock.t += 1000;
    // Each acquire drops up to two forgettable entries at the old end.
    for (let i = 0; i < 60; i++) limiter.tryAcquire("fresh");
    expect(limiter.size).toBeLessThanOrEqual(1);
  });

  it("stays bounded with 100k distinct addresses", () => {
    const clock = fakeClock();
    const limiter = new ConnectionLimiter({
      perIpRate: 1,
      perIpBurst: 1,
      maxPerIp: 4,
      maxTrackedIps: 1000,
      now: clock.now,
    });
    let largest = 0;
    for (let i = 0; i < 100_000; i++) {
      permit(limiter, `ip-${i}`).release();
      largest = Math.max(largest, limiter.size);
    }
    expect(largest).toBe(1000);
    expect(limiter.size).toBe(1000);
    // The most recent addresses are still tracked (and rate limited).
    expect(limiter.tryAcquire("ip-99999")).toEqual({ ok: false, reason: "rate" });
    clock.t += 1000;
    expect(limiter.sweep()).toBe(1000);
    expect(limiter.size).toBe(0);
  });

  it("never evicts addresses with open connections", () => {
    const clock = fakeClock();
    const limiter = new ConnectionLimiter({ maxPerIp: 1, maxTrackedIps: 10, now: clock.now });
    const held: ConnectionPermit[] = [];
    for (let i = 0; i < 20; i++) held.push(permit(limiter, `busy-${i}`));
    // Over the soft cap, bounded by open connections.
    expect(limiter.size).toBe(20);
    for (let i = 0; i < 20; i++) {
      expect(limiter.tryAcquire(`busy-${i}`)).toEqual({ ok: false, reason: "concurrent" });
    }
    for (const p of held) p.release();
    expect(limiter.size).toBe(0); // no rate limit: bucket always full
  });

  it("evicts the least recently used idle address at the cap", () => {
    const clock = fakeClock();
    const limiter = new ConnectionLimiter({
      perIpRate: 1,
      perIpBurst: 1,
      maxTrackedIps: 3,
      now: clock.now,
    });
    const held = permit(limiter, "busy");
    permit(limiter, "old").release();
    permit(limiter, "recent").release();
    expect(limiter.tryAcquire("old").ok).toBe(false); // touch "old": now most recent
    permit(limiter, "new").release(); // evicts "recent", skips "busy"
    expect(limiter.size).toBe(3);
    expect(limiter.tryAcquire("old")).toEqual({ ok: false, reason: "rate" });
    expect(limiter.tryAcquire("recent").ok).toBe(true); // forgotten: fresh bucket
    held.release();
  });

  it("validates options, naming the option", () => {
    expect(optionOf(() => new ConnectionLimiter({ perIpRate: 0 }))).toBe("perIpRate");
    expect(optionOf(() => new ConnectionLimiter({ perIpBurst: 0 }))).toBe("perIpBurst");
    expect(optionOf(() => new ConnectionLimiter({ maxPerIp: 0 }))).toBe("maxPerIp");
    expect(optionOf(() => new ConnectionLimiter({ maxPerIp: 1.5 }))).toBe("maxPerIp");
    expect(optionOf(() => new ConnectionLimiter({ maxTrackedIps: 0 }))).toBe("maxTrackedIps");
    expect(optionOf(() => new ConnectionLimiter({ now: 5 as unknown as () => number }))).toBe(
      "now",
    );
  });

  it("does not mutate the options object", () => {
    const options = Object.freeze({ perIpRate: 5 });
    const limiter = new ConnectionLimiter(options);
    expect(limiter.perIpBurst).toBe(5);
    expect(limiter.maxPerIp).toBe(Number.POSITIVE_INFINITY);
    expect(options).toEqual({ perIpRate: 5 });
  });
});
