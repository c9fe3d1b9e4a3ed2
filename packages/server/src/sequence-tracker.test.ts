import { describe, expect, it } from "vitest";
import { SequenceTracker } from "./sequence-tracker";

describe("SequenceTracker", () => {
  it("delivers in order, counts each skipped number once, and drops copies", () => {
    const t = new SequenceTracker();
    expect(t.observe("c", "p/1", 5)).toBe(0); // the first number heard is the start
    expect(t.observe("c", "p/1", 6)).toBe(0);
    expect(t.observe("c", "p/1", 9)).toBe(2); // 7 and 8 never arrived
    expect(t.observe("c", "p/1", 8)).toBe(-1); // late or copied: dropped
    expect(t.observe("c", "p/1", 9)).toBe(-1);
    expect(t.observe("c", "p/1", 10)).toBe(0);
    expect(t.lost).toBe(2);
    expect(t.duplicates).toBe(2);
  });

  it("follows each channel and each publisher run on its own", () => {
    const t = new SequenceTracker();
    t.observe("a", "p/1", 1);
    t.observe("b", "p/1", 1);
    t.observe("a", "q/1", 1);
    expect(t.observe("a", "p/1", 2)).toBe(0);
    expect(t.observe("b", "p/1", 3)).toBe(1);
    expect(t.observe("a", "q/1", 2)).toBe(0);
    // A restarted publisher (new run) starts again at 1: not a duplicate.
    expect(t.observe("a", "p/2", 1)).toBe(0);
    expect(t.lost).toBe(1);
    expect(t.duplicates).toBe(0);
    expect(t.size).toBe(4);
  });

  it("forgets a channel left, so what was published meanwhile is not counted lost", () => {
    const t = new SequenceTracker();
    t.observe("room#a", "p/1", 1);
    t.observe("room#a", "q/1", 1);
    t.observe("room#ab", "p/1", 1);
    expect(t.forget("room#a")).toBe(2);
    expect(t.size).toBe(1);
    // Listening again later: p published 2..9 meanwhile, to nobody here.
    expect(t.observe("room#a", "p/1", 10)).toBe(0);
    expect(t.observe("room#ab", "p/1", 3)).toBe(1); // another channel keeps its count
    expect(t.lost).toBe(1);
  });

  it("a tick counts what was lost at the end of a burst, once", () => {
    const t = new SequenceTracker();
    t.observe("c", "p/1", 1);
    expect(t.tick("c", "p/1", 4)).toBe(3); // 2, 3 and 4 never arrived
    expect(t.tick("c", "p/1", 4)).toBe(0);
    expect(t.observe("c", "p/1", 4)).toBe(-1); // 4 arriving late now is a copy
    expect(t.observe("c", "p/1", 5)).toBe(0);
    expect(t.tick("c", "p/9", 7)).toBe(0); // a publisher first heard through a tick starts there
    expect(t.observe("c", "p/9", 8)).toBe(0);
    expect(t.lost).toBe(3);
  });

  it("forgets silent publishers on sweep, and holds at most maxPublishers", () => {
    const t = new SequenceTracker({ idleTimeout: 1000, maxPublishers: 3 });
    t.observe("c", "a", 1, 0);
    t.observe("c", "b", 1, 500);
    expect(t.sweep(1200)).toBe(1);
    expect(t.size).toBe(1);
    t.observe("c", "c", 1, 1200);
    t.observe("c", "d", 1, 1200);
    t.observe("c", "e", 1, 1200); // over the bound: the one followed longest ("b") goes
    expect(t.size).toBe(3);
    expect(t.observe("c", "b", 5, 1300)).toBe(0); // started afresh
  });
});
