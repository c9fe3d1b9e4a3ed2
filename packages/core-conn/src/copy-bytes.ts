import { allocUninitialized } from "./bytes";
import { TaurusError } from "./errors";

/** Up to this many bytes, a loop beats creating the view that `set` needs (measured, Node 20). */
const LOOP_MAX = 16;

/** Arrays up to this many bytes live on V8's heap: allocating one is cheap. */
const ON_HEAP_MAX = 64;

/**
 * Copies of more than {@link ON_HEAP_MAX} and up to this many bytes come from a
 * shared slab (one `ArrayBuffer` allocation per slab instead of one per copy).
 * @internal
 */
export const POOLED_COPY_MAX = 4 * 1024;

/** Size of one slab of pooled copies: a copy kept alive keeps at most this much memory. @internal */
export const COPY_SLAB_SIZE = 16 * 1024;

/** The memory of the current slab, and where in it the slab starts. */
let copyMemory = new ArrayBuffer(0);
let copyBase = 0;
/** Bytes of the current slab handed out (the first copy starts a slab). */
let copyUsed = COPY_SLAB_SIZE;

/** `n` bytes of the current slab (8-byte aligned, as Node's buffer pool does); never handed out twice. */
function pooled(n: number): Uint8Array {
  if (copyUsed + n > COPY_SLAB_SIZE) {
    // Not zeroed: every byte handed out is written by the copy first.
    const slab = allocUninitialized(COPY_SLAB_SIZE);
    copyMemory = slab.buffer;
    copyBase = slab.byteOffset;
    copyUsed = 0;
  }
  // A view made directly: `subarray` costs about 100 ns more (measured, Node 20).
  const out = new Uint8Array(copyMemory, copyBase + copyUsed, n);
  copyUsed = (copyUsed + n + 7) & ~7;
  return out;
}

/**
 * Copies `source[start, end)` into a new `Uint8Array` whose bytes nothing else
 * writes: it shares no memory with the source, and no other copy or Node.js
 * buffer shares its bytes. This is what a decoded message must hold instead of
 * a view into the buffer it was decoded from, which the connection overwrites
 * once `decode` returns.
 *
 * Where the bytes live depends on the size, for speed (a separate `ArrayBuffer`
 * costs about 1.3 µs to allocate and collect, more than the rest of decoding a
 * 1 KiB frame):
 * - up to 64 bytes: an array of its own (on V8's heap, cheap);
 * - 65 bytes to 4 KiB: a region of a shared 16 KiB slab, as `Buffer.allocUnsafe`
 *   takes regions of Node's pool: `byteOffset` may be non-zero and `buffer` is
 *   the slab, which other copies use too (each its own region, never handed out
 *   twice, 8-byte aligned; in Node, the slab's bytes outside the copies are
 *   not zeroed, as in Node's pool). A copy kept alive keeps its slab (at most 16 KiB)
 *   alive: to keep many small payloads for long, copy them once more with
 *   `data.slice()` (on a plain `Uint8Array`, unlike `Buffer#slice`, a copy
 *   with an `ArrayBuffer` of its own);
 * - over 4 KiB: an `ArrayBuffer` of its own (in Node, not zeroed before the copy
 *   fills it).
 *
 * Beware: `Buffer#slice` and `Buffer#subarray` both return views, not copies.
 *
 * @param source - the bytes to copy from (a `Buffer` or any `Uint8Array`)
 * @param start - the first index to copy (default 0)
 * @param end - one past the last index to copy (default `source.length`)
 * @returns a fresh plain `Uint8Array` of `end - start` bytes (see above for its memory)
 * @throws {@link TaurusError} `INVALID_OPTION` (`option` is `"start"` or
 *   `"end"`) when they are not integers with `0 <= start <= end <= source.length`
 *
 * @example
 * ```ts
 * return { kind: "message", message: { data: copyBytes(buffer, bodyStart, bodyEnd) }, consumed };
 * ```
 */
export function copyBytes(source: Uint8Array, start = 0, end: number = source.length): Uint8Array {
  if (
    !Number.isInteger(start) ||
    !Number.isInteger(end) ||
    start < 0 ||
    end < start ||
    end > source.length
  ) {
    const option = !Number.isInteger(start) || start < 0 || start > source.length ? "start" : "end";
    throw new TaurusError(
      "INVALID_OPTION",
      `copyBytes: need 0 <= start <= end <= ${source.length}, got start ${start}, end ${end}`,
      { option },
    );
  }
  const n = end - start;
  const out =
    n <= ON_HEAP_MAX ? new Uint8Array(n) : n <= POOLED_COPY_MAX ? pooled(n) : allocUninitialized(n);
  if (n <= LOOP_MAX) {
    for (let i = 0; i < n; i++) out[i] = source[start + i] as number;
  } else {
    out.set(new Uint8Array(source.buffer, source.byteOffset + start, n));
  }
  return out;
}
