import { describe, expect, it } from "vitest";
import { resyncToMagic } from "./magic";

const resync = (bytes: number[], start = 0, end = bytes.length) =>
  resyncToMagic(Buffer.from(bytes), start, end, 0xca, 0xfe);

describe("resyncToMagic", () => {
  it("drops the bytes before the first magic", () => {
    expect(resync([1, 2, 0xca, 0xfe, 9])).toMatchObject({
      kind: "drop",
      consumed: 2,
      reason: "invalid_format",
    });
    expect(resync([0xca, 0xca, 0xfe])).toMatchObject({ kind: "drop", consumed: 1 });
  });

  it("keeps a last byte that may be half a magic, and drops the rest", () => {
    expect(resync([1, 2, 3, 0xca])).toMatchObject({ kind: "drop", consumed: 3 });
    expect(resync([1, 2, 3])).toMatchObject({ kind: "drop", consumed: 3 });
    expect(resync([0xca])).toEqual({ kind: "need_more" });
  });

  it("never looks past end", () => {
    // A magic after `end` belongs to bytes not yet valid; it must not be found.
    expect(resync([1, 2, 3, 0xca, 0xfe], 0, 3)).toMatchObject({ kind: "drop", consumed: 3 });
    expect(resync([9, 9, 1, 0xca, 0xfe], 2, 4)).toMatchObject({ kind: "drop", consumed: 1 });
  });
});
