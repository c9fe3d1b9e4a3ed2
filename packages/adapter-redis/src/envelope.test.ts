import { describe, expect, it } from "vitest";
import { KIND_MESSAGE, KIND_TICK, open, seal } from "./envelope";

describe("envelope", () => {
  it("carries the instance id, kind, run, sequence and payload", () => {
    const id = Buffer.from("a1b2c3");
    const sealed = seal(id, KIND_MESSAGE, 0xdeadbeef, 2 ** 40 + 7, Buffer.from("hello"));
    expect(sealed.length).toBe(1 + 6 + 1 + 4 + 8 + 5);
    expect(sealed[0]).toBe(6);
    expect(open(sealed)).toEqual({
      origin: "a1b2c3",
      kind: KIND_MESSAGE,
      run: 0xdeadbeef,
      sequence: 2 ** 40 + 7,
      payload: Buffer.from("hello"),
    });
    const tick = open(seal(id, KIND_TICK, 1, 42, new Uint8Array(0)));
    expect(tick).toMatchObject({ kind: KIND_TICK, sequence: 42, payload: Buffer.alloc(0) });
  });

  it("refuses what is too short to be an envelope", () => {
    const sealed = seal(Buffer.from("id"), KIND_MESSAGE, 1, 1, new Uint8Array(0));
    for (let n = 0; n < sealed.length; n++) expect(open(sealed.subarray(0, n))).toBeUndefined();
    expect(open(Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]))).toBeUndefined();
  });
});
