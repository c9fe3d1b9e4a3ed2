import { TaurusError } from "@taurus/core-conn";
import { describe, expect, it } from "vitest";
import { LogThrottle } from "./log-throttle";

describe("LogThrottle", () => {
  it("logs a code once per source and at most linesPerCode times per interval, counting the rest", () => {
    const throttle = new LogThrottle({ linesPerCode: 3 });
    const logged: string[] = [];
    for (let conn = 0; conn < 100; conn++) {
      for (let i = 0; i < 50; i++) {
        if (throttle.admit("MALFORMED_BODY", `c${conn}`)) logged.push(`c${conn}`);
      }
    }
    expect(throttle.admit("SEND_QUEUE_FULL", "c7")).toBe(true);
    expect(logged).toEqual(["c0", "c1", "c2"]);
    expect(throttle.flush()).toEqual({
      suppressed: { MALFORMED_BODY: 100 * 50 - 3 },
      sources: { MALFORMED_BODY: 100 },
      total: 100 * 50 - 3,
    });
    // A new interval: each may log again; a quiet interval has no summary.
    expect(throttle.admit("MALFORMED_BODY", "c0")).toBe(true);
    expect(throttle.flush()).toBeUndefined();
    expect(throttle.flush()).toBeUndefined();
  });

  it("stays bounded with endless distinct sources", () => {
    const throttle = new LogThrottle({ linesPerCode: 1000, maxKeys: 10 });
    let admitted = 0;
    for (let i = 0; i < 10_000; i++) if (throttle.admit("X", `s${i}`)) admitted++;
    expect(admitted).toBe(10);
    expect(throttle.flush()?.sources.X).toBe(10);
  });

  it("validates options, naming the option", () => {
    expect(() => new LogThrottle({ linesPerCode: 0 })).toThrow(TaurusError);
    expect(() => new LogThrottle({ maxKeys: 1.5 })).toThrow(
      expect.objectContaining({ option: "maxKeys" }),
    );
  });
});
