import { describe, expect, it } from "vitest";
import { RestartPolicy } from "./restart-policy";

describe("RestartPolicy", () => {
  const options = { initialDelay: 100, maxDelay: 1000, limit: 6, window: 10_000 };

  it("backs off exponentially up to the maximum, with jitter between half and all of it", () => {
    const low = new RestartPolicy({ ...options, random: () => 0 });
    const high = new RestartPolicy({ ...options, random: () => 0.999_999 });
    const lows = [0, 1, 2, 3, 4].map((i) => low.crashed(i));
    const highs = [0, 1, 2, 3, 4].map((i) => high.crashed(i));
    expect(lows).toEqual([50, 100, 200, 400, 500]);
    expect(highs).toEqual([100, 200, 400, 800, 1000]);
  });

  it("gives up at the crash-loop limit within the window, and forgets crashes older than it", () => {
    const policy = new RestartPolicy({ ...options, limit: 3, random: () => 0 });
    expect(policy.crashed(0)).toBe(50);
    expect(policy.crashed(1000)).toBe(100);
    // The first crash has left the window: two recent ones, the backoff goes down again.
    expect(policy.crashed(10_500)).toBe(100);
    expect(policy.recent).toBe(2);
    expect(policy.crashed(10_600)).toBeUndefined(); // three within 10 s: a crash loop
  });
});
