import { describe, expect, it } from "vitest";
import {
  inSlab,
  LARGE_SLAB_FRAME_MAX,
  LARGE_SLAB_SIZE,
  reserve,
  SLAB_FRAME_MAX,
  SLAB_SIZE,
  slab,
  unreserve,
} from "./slab";

/** Reserves `size` bytes and returns the slab and offset it got. */
function take(size: number): { buffer: Buffer; offset: number } {
  const offset = reserve(size);
  return { buffer: slab, offset };
}

describe("the outgoing slabs", () => {
  it("keeps frames up to 4 KiB in small slabs and larger ones up to 32 KiB in large slabs", () => {
    const small = take(SLAB_FRAME_MAX);
    const large = take(SLAB_FRAME_MAX + 1);
    expect(small.buffer.length).toBe(SLAB_SIZE);
    expect(large.buffer.length).toBe(LARGE_SLAB_SIZE);
    expect(inSlab(small.buffer) && inSlab(large.buffer)).toBe(true);
    // A small frame after a large one continues its own slab, and the other way round.
    const small2 = take(10);
    const large2 = take(LARGE_SLAB_FRAME_MAX);
    if (small2.buffer === small.buffer) expect(small2.offset).toBe(small.offset + SLAB_FRAME_MAX);
    if (large2.buffer === large.buffer)
      expect(large2.offset).toBe(large.offset + SLAB_FRAME_MAX + 1);
    expect(large2.buffer.length).toBe(LARGE_SLAB_SIZE);
    expect(reserve(LARGE_SLAB_FRAME_MAX + 1)).toBe(-1); // a buffer of its own
  });

  it("hands out regions front to back, never twice, starting a new slab when one is full", () => {
    const seen: { buffer: Buffer; offset: number; size: number }[] = [];
    for (let i = 0; i < 100; i++) {
      const size = i % 3 === 0 ? 20_000 : 1000 + i;
      seen.push({ ...take(size), size });
    }
    for (const [i, a] of seen.entries()) {
      expect(a.offset + a.size).toBeLessThanOrEqual(a.buffer.length);
      for (const b of seen.slice(i + 1)) {
        if (a.buffer !== b.buffer) continue;
        expect(a.offset + a.size <= b.offset || b.offset + b.size <= a.offset).toBe(true);
      }
    }
    expect(new Set(seen.filter((s) => s.size === 20_000).map((s) => s.buffer)).size).toBe(6);
  });

  it("gives back only the last reservation of a slab (a failed encode)", () => {
    const large = take(5000);
    const small = take(100);
    unreserve(large.buffer, large.offset, 5000); // the last of the large slab, though a small one came after
    const again = take(5000);
    expect(again.buffer).toBe(large.buffer);
    expect(again.offset).toBe(large.offset);
    unreserve(small.buffer, small.offset, 50); // not the whole reservation: kept
    expect(take(100).offset).toBe(small.offset + 100);
  });
});
