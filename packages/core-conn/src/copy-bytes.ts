import { TaurusError } from "./errors";

/** Up to this many bytes, a loop beats creating the view that `set` needs (measured, Node 20). */
const LOOP_MAX = 16;

/**
 * Copies `source[start, end)` into a new `Uint8Array` with a memory of its
 * own (its own `ArrayBuffer`, `byteOffset` 0, nothing shared with the source
 * or with Node's buffer pool). This is what a decoded message must hold
 * instead of a view into the buffer it was decoded from, which the
 * connection overwrites once `decode` returns.
 *
 * Beware: `Buffer#slice` and `Buffer#subarray` both return views, not copies.
 *
 * @param source - the bytes to copy from (a `Buffer` or any `Uint8Array`)
 * @param start - the first index to copy (default 0)
 * @param end - one past the last index to copy (default `source.length`)
 * @returns a fresh plain `Uint8Array` of `end - start` bytes
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
  const out = new Uint8Array(n);
  if (n <= LOOP_MAX) {
    for (let i = 0; i < n; i++) out[i] = source[start + i] as number;
  } else {
    out.set(new Uint8Array(source.buffer, source.byteOffset + start, n));
  }
  return out;
}
