/**
 * The default deepest nesting of objects and arrays a JSON body may have (64):
 * a body nested deeper is dropped as `malformed_body` before it is parsed.
 *
 * @defaultValue 64
 */
export const DEFAULT_JSON_MAX_DEPTH = 64;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

/**
 * Tells whether the JSON text in `buffer[start, end)` nests objects and arrays
 * deeper than `maxDepth`, in one pass over the bytes and without recursion:
 * brackets inside strings (escapes included) do not count. It does not check
 * that the text is valid JSON; `JSON.parse` does that afterwards, at a cost
 * that is then linear in the bytes.
 *
 * @param buffer - the bytes
 * @param start - the first byte of the text
 * @param end - one past its last byte
 * @param maxDepth - the deepest nesting allowed (the top-level object is depth 1)
 * @returns `true` when some bracket opens deeper than `maxDepth`
 */
export function exceedsJsonDepth(
  buffer: Buffer,
  start: number,
  end: number,
  maxDepth: number,
): boolean {
  // Each level needs an opening byte: a text this short cannot go deeper.
  if (end - start <= maxDepth) return false;
  let depth = 0;
  for (let i = start; i < end; i++) {
    const b = buffer[i];
    if (b === QUOTE) {
      i = stringEnd(buffer, i + 1, end);
    } else if (b === OPEN_BRACE || b === OPEN_BRACKET) {
      if (++depth > maxDepth) return true;
    } else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}

/**
 * The index of the quote that closes a string whose content starts at `from`
 * (or `end` when it never closes). Jumps from quote to quote with the native
 * `indexOf`, so long strings cost almost nothing; a quote preceded by an odd
 * run of backslashes is escaped.
 */
function stringEnd(buffer: Buffer, from: number, end: number): number {
  let at = from;
  for (;;) {
    const quote = buffer.indexOf(QUOTE, at);
    if (quote === -1 || quote >= end) return end;
    let backslashes = 0;
    while (quote - 1 - backslashes >= from && buffer[quote - 1 - backslashes] === BACKSLASH) {
      backslashes++;
    }
    if (backslashes % 2 === 0) return quote;
    at = quote + 1;
  }
}
