import { describe, expect, it } from "vitest";
import { copyBytes } from "./copy-bytes";
import { isTaurusError } from "./errors";

describe("copyBytes", () => {
  it("copies a range into a fresh array", () => {
    const source = Uint8Array.from([1, 2, 3, 4]);
    const copy = copyBytes(source, 1, 3);
    expect([...copy]).toEqual([2, 3]);
    source[1] = 9;
    expect([...copy]).toEqual([2, 3]);
  });

  it("refuses a bad range with INVALID_OPTION naming the argument", () => {
    const source = new Uint8Array(4);
    const refusal = (start: number, end: number) => {
      try {
        copyBytes(source, start, end);
      } catch (err) {
        if (isTaurusError(err, "INVALID_OPTION")) return err.option;
        throw err;
      }
      return "no error";
    };
    expect(refusal(-1, 2)).toBe("start");
    expect(refusal(1.5, 2)).toBe("start");
    expect(refusal(5, 5)).toBe("start");
    expect(refusal(3, 2)).toBe("end");
    expect(refusal(0, 5)).toBe("end");
  });
});
