import { describe, expect, it } from "vitest";
import { ReplyMarks, sequenceOf } from "./replies";

describe("ReplyMarks", () => {
  it("marks the next sent frame as the reply, keeps it for replay, forgets it once acknowledged", () => {
    const marks = new ReplyMarks();
    marks.sent(1); // no reply expected: not marked
    marks.expect(7);
    marks.sent(2);
    marks.sent(3);
    expect(marks.replyTo(1)).toBeUndefined();
    expect(marks.replyTo(2)).toBe(7);
    expect(marks.replyTo(3)).toBeUndefined();
    marks.expect(9);
    marks.sent(4);
    marks.acknowledge(3);
    expect(marks.replyTo(2)).toBeUndefined();
    expect(marks.replyTo(4)).toBe(9);
    expect(marks.size).toBe(1);
  });

  it("reads the numeric sequence of a message; 0 and non-numbers have none", () => {
    expect(sequenceOf({ sequence: 5 })).toBe(5);
    expect(sequenceOf({ sequence: 0 })).toBeUndefined();
    expect(sequenceOf({ sequence: "5" })).toBeUndefined();
    expect(sequenceOf(null)).toBeUndefined();
    expect(sequenceOf(3)).toBeUndefined();
  });
});
