import { describe, expect, it } from "vitest";
import { COPY_SLAB_SIZE, copyBytes, POOLED_COPY_MAX } from "./copy-bytes";
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

  it("gives copies of 65 B to 4 KiB regions of a shared slab, never the same bytes twice", () => {
    const source = new Uint8Array(POOLED_COPY_MAX + 100).map((_, i) => i & 0xff);
    const sizes = [65, 1000, 4096, 65, 333, 2048, 4000, 100, 1024, 4096, 3000];
    const copies = sizes.map((n, k) => copyBytes(source, k, k + n));
    for (const [k, copy] of copies.entries()) {
      expect(copy.constructor).toBe(Uint8Array);
      expect(copy.buffer.byteLength).toBe(COPY_SLAB_SIZE);
      expect(copy.byteOffset % 8).toBe(0);
      expect([...copy]).toEqual([...source.subarray(k, k + (sizes[k] as number))]);
    }
    // Regions of one slab do not overlap.
    const bySlab = new Map<ArrayBufferLike, Array<[number, number]>>();
    for (const copy of copies) {
      const regions = bySlab.get(copy.buffer) ?? [];
      regions.push([copy.byteOffset, copy.byteOffset + copy.length]);
      bySlab.set(copy.buffer, regions);
    }
    expect(bySlab.size).toBeGreaterThan(1); // 20 KiB of copies: more than one 16 KiB slab
    for (const regions of bySlab.values()) {
      regions.sort((a, b) => a[0] - b[0]);
      for (let i = 1; i < regions.length; i++) {
        expect(regions[i]?.[0]).toBeGreaterThanOrEqual(regions[i - 1]?.[1] as number);
      }
    }
    // Nothing written afterwards reaches a copy: not the source, not another copy.
    const before = copies.map((c) => [...c]);
    source.fill(0);
    for (const copy of copies) copy.fill(0xee, 0, 1);
    for (const [k, copy] of copies.entries()) {
      expect([...copy.subarray(1)]).toEqual(before[k]?.slice(1));
    }
  });

  it("gives copies up to 64 B and over 4 KiB an ArrayBuffer of their own", () => {
    const source = new Uint8Array(POOLED_COPY_MAX + 10).fill(7);
    for (const n of [0, 1, 64, POOLED_COPY_MAX + 1]) {
      const copy = copyBytes(source, 2, 2 + n);
      expect(copy.byteOffset).toBe(0);
      expect(copy.buffer.byteLength).toBe(n);
    }
  });

  it("copies a pooled copy again into memory of its own with slice()", () => {
    const kept = copyBytes(new Uint8Array(500).fill(3), 0, 200).slice();
    expect(kept.byteOffset).toBe(0);
    expect(kept.buffer.byteLength).toBe(200);
  });
});
