import { setMaxListeners } from "node:events";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { MAX_SEQUENCE, PendingRequests } from "./requests";

const FRAME = new Uint8Array(1);

describe("PendingRequests", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("allocates wrapping u32 sequences, skipping 0 and pending ones", () => {
    const table = new PendingRequests<number>(10, () => {});
    (table as unknown as { last: number }).last = MAX_SEQUENCE - 1;
    const a = table.allocate();
    void table.add(a, FRAME, 1000, undefined).catch(() => {});
    expect(a).toBe(MAX_SEQUENCE);
    const b = table.allocate();
    expect(b).toBe(1);
    void table.add(b, FRAME, 1000, undefined).catch(() => {});
    (table as unknown as { last: number }).last = MAX_SEQUENCE - 1;
    expect(table.allocate()).toBe(2); // MAX and 1 are still pending, 0 is skipped
    table.rejectSentOn(undefined, new Error("x") as never);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("is bounded", () => {
    const table = new PendingRequests<number>(2, () => {});
    for (let i = 0; i < 2; i++)
      void table.add(table.allocate(), FRAME, 1000, undefined).catch(() => {});
    expect(() => table.allocate()).toThrow(expect.objectContaining({ code: "TOO_MANY_PENDING" }));
    vi.advanceTimersByTime(1000);
    expect(table.size).toBe(0);
  });

  it("leaves nothing behind after a million settlements of every kind (real timers)", async () => {
    vi.useRealTimers();
    const timersBefore = activeTimeouts();
    let timeouts = 0;
    const table = new PendingRequests<number>(1000, () => timeouts++);
    let settled = 0;
    const count = () => void settled++;
    for (let batch = 0; batch < 1000; batch++) {
      const controller = new AbortController();
      setMaxListeners(0, controller.signal);
      const all: Promise<unknown>[] = [];
      for (let i = 0; i < 1000; i++) {
        const seq = table.allocate();
        const p = table.add(seq, FRAME, 1, i % 3 === 1 ? controller.signal : undefined);
        all.push(p.then(count, count));
        if (i % 3 === 2) table.resolve(seq, i);
      }
      controller.abort();
      await Promise.all(all); // the rest time out after 1 ms
      if (table.size !== 0) throw new Error(`batch ${batch}: ${table.size} entries left`);
    }
    expect(settled).toBe(1_000_000);
    expect(timeouts).toBe(1000 * 334); // i % 3 === 0: 334 of every 1000
    expect(table.size).toBe(0);
    expect(activeTimeouts()).toBeLessThanOrEqual(timersBefore); // none of the million timers is left
  }, 60_000);
});

/** Timers alive in this process (Node's own count, not a fake clock's). */
function activeTimeouts(): number {
  return process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
}
