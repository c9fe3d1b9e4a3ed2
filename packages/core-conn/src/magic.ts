import { type Drop, NEED_MORE, type NeedMore } from "./protocol";

/**
 * The resynchronisation step of a format whose frames start with a two-byte
 * magic, for buffered bytes that do not start with it (a helper for protocol
 * authors; both built-in protocols use it):
 * - drops the bytes before the first magic (`invalid_format`);
 * - with no magic at all, drops everything but a last byte equal to the
 *   magic's first, which may be half a magic, so garbage never accumulates;
 * - returns "need more" when that lone byte is all there is.
 *
 * @param buffer - the buffered bytes
 * @param start - the first unconsumed byte, which is not the start of a magic
 * @param end - one past the last buffered byte
 * @param magic0 - the magic's first byte
 * @param magic1 - the magic's second byte
 * @returns a drop of at least one byte, or `NEED_MORE`
 */
export function resyncToMagic(
  buffer: Buffer,
  start: number,
  end: number,
  magic0: number,
  magic1: number,
): Drop | NeedMore {
  const last = end - 1;
  const view = buffer.subarray(0, end); // indexOf must not look past `end`
  for (
    let i = view.indexOf(magic0, start + 1);
    i !== -1 && i < last;
    i = view.indexOf(magic0, i + 1)
  ) {
    if (view[i + 1] === magic1) {
      return {
        kind: "drop",
        consumed: i - start,
        reason: "invalid_format",
        detail: "bytes before the magic",
      };
    }
  }
  const keep = buffer[last] === magic0 ? last : end;
  if (keep === start) return NEED_MORE;
  return {
    kind: "drop",
    consumed: keep - start,
    reason: "invalid_format",
    detail: "no magic in the buffered bytes",
  };
}
