/**
 * Exact recovery of the `timestamp` of a JSON body. `JSON.parse` rounds integers above 2^53,
 * and Go timestamps (about 1.7e18 ns) always are, so the digits are read from the text.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const MINUS = 0x2d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
/** `"timestamp"` without its quotes, in bytes. */
const KEY = [0x74, 0x69, 0x6d, 0x65, 0x73, 0x74, 0x61, 0x6d, 0x70];
const INTEGER = /^-?(?:0|[1-9][0-9]*)$/;

function isSpace(c: number | undefined): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

const TWO_32 = 2 ** 32;
/** 10^15 split as `E15_HI * 2^32 + E15_LO`. */
const E15_HI = Math.floor(1e15 / TWO_32);
const E15_LO = 1e15 - E15_HI * TWO_32;
/** Scratch space to assemble a u64 from two u32 halves (measured faster than bigint math). */
const SCRATCH = new DataView(new ArrayBuffer(8));

/**
 * `high * 10^15 + low` as a bigint, for `high < 10^4` and `low < 10^15` (up to 19 digits):
 * both halves of the u64 are computed exactly with doubles.
 */
function joinDigits(high: number, low: number): bigint {
  const lowHi = Math.floor(low / TWO_32);
  const lowLo = low - lowHi * TWO_32;
  const loSum = high * E15_LO + lowLo;
  const carry = Math.floor(loSum / TWO_32);
  SCRATCH.setUint32(0, high * E15_HI + lowHi + carry);
  SCRATCH.setUint32(4, loSum - carry * TWO_32);
  return SCRATCH.getBigUint64(0);
}

/** Moves `i` backwards over whitespace (not before `start`); returns the new index. */
function backOverSpaces(body: Buffer, start: number, i: number): number {
  let j = i;
  while (j > start && isSpace(body[j])) j--;
  return j;
}

/**
 * The fast path: the Go encoder writes `timestamp` last, so a body ending with
 * `"timestamp":<digits>}` holds it at its end. Reads backwards from `end`, over bytes
 * already validated by `JSON.parse`; whitespace is allowed but, as Go writes none, is only
 * looked for when the expected byte is not there.
 *
 * A `"` preceded by `,` or `{` cannot be escaped, so the matched key is the whole key of
 * the object's last member, and the last member of the outermost object is top-level.
 *
 * @returns the exact value, or `undefined` when the body does not end so (or the token has
 * more than 19 digits: left to the general path, which rejects it as outside int64)
 */
function tailValue(body: Buffer, start: number, end: number): bigint | undefined {
  let i = end - 1;
  if (body[i] !== CLOSE_BRACE) i = backOverSpaces(body, start, i);
  if (body[i] !== CLOSE_BRACE) return undefined;
  i--;
  let c = body[i] as number;
  if (c < 0x30 || c > 0x39) {
    i = backOverSpaces(body, start, i);
    c = body[i] as number;
  }
  const digitsEnd = i + 1;
  while (c >= 0x30 && c <= 0x39 && i > start) {
    i--;
    c = body[i] as number;
  }
  const digitsStart = i + 1;
  const count = digitsEnd - digitsStart;
  if (count === 0 || count > 19) return undefined;
  const negative = c === MINUS;
  if (negative) i--;
  if (body[i] !== COLON) i = backOverSpaces(body, start, i);
  if (body[i] !== COLON) return undefined;
  i--;
  if (body[i] !== QUOTE) i = backOverSpaces(body, start, i);
  if (body[i] !== QUOTE || i - start < 11) return undefined;
  for (let k = KEY.length - 1; k >= 0; k--) {
    i--;
    if (body[i] !== KEY[k]) return undefined;
  }
  i--;
  if (body[i] !== QUOTE) return undefined;
  i--;
  c = body[i] as number;
  if (c !== COMMA && c !== OPEN_BRACE) {
    i = backOverSpaces(body, start, i);
    c = body[i] as number;
    if (c !== COMMA && c !== OPEN_BRACE) return undefined;
  }
  // The low 15 and the high (at most 4) digits are exact doubles, joined as one bigint.
  const split = count > 15 ? digitsEnd - 15 : digitsStart;
  let high = 0;
  for (let j = digitsStart; j < split; j++) high = high * 10 + (body[j] as number) - 0x30;
  let low = 0;
  for (let j = split; j < digitsEnd; j++) low = low * 10 + (body[j] as number) - 0x30;
  const value = joinDigits(high, low);
  return negative ? -value : value;
}

/** Skips a string starting at the quote at `i`; returns the index after its closing quote. */
function skipString(text: string, i: number): number {
  let j = i + 1;
  for (;;) {
    const c = text.charCodeAt(j);
    if (c === QUOTE) return j + 1;
    j += c === BACKSLASH ? 2 : 1;
    if (j >= text.length) return text.length;
  }
}

/** Skips one value starting at `i` (not whitespace); returns the index after it. */
function skipValue(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c === QUOTE) return skipString(text, i);
  if (c === OPEN_BRACE || c === OPEN_BRACKET) {
    let depth = 0;
    let j = i;
    while (j < text.length) {
      const d = text.charCodeAt(j);
      if (d === QUOTE) {
        j = skipString(text, j);
        continue;
      }
      if (d === OPEN_BRACE || d === OPEN_BRACKET) depth++;
      else if (d === CLOSE_BRACE || d === CLOSE_BRACKET) {
        depth--;
        if (depth === 0) return j + 1;
      }
      j++;
    }
    return j;
  }
  let j = i;
  while (j < text.length) {
    const d = text.charCodeAt(j);
    if (d === COMMA || d === CLOSE_BRACE || d === CLOSE_BRACKET || isSpace(d)) break;
    j++;
  }
  return j;
}

function skipSpaces(text: string, i: number): number {
  let j = i;
  while (j < text.length && isSpace(text.charCodeAt(j))) j++;
  return j;
}

/**
 * The general path: walks the members of the top-level object (text already validated by
 * `JSON.parse`), skipping nested values and strings, and returns the raw token of the last
 * `timestamp` member (the one `JSON.parse` kept). Keys written with escapes are decoded.
 */
function scanTimestampToken(text: string): string | undefined {
  let found: string | undefined;
  let i = skipSpaces(text, 0);
  if (text.charCodeAt(i) !== OPEN_BRACE) return undefined;
  i++;
  while (i < text.length) {
    i = skipSpaces(text, i);
    if (text.charCodeAt(i) !== QUOTE) return found; // `}` of an empty object, or the end
    const keyEnd = skipString(text, i);
    const rawKey = text.slice(i + 1, keyEnd - 1);
    const key = rawKey.includes("\\") ? (JSON.parse(`"${rawKey}"`) as string) : rawKey;
    i = skipSpaces(text, keyEnd) + 1; // past the colon
    i = skipSpaces(text, i);
    const valueEnd = skipValue(text, i);
    if (key === "timestamp") found = text.slice(i, valueEnd);
    i = skipSpaces(text, valueEnd) + 1; // past the comma or the closing brace
  }
  return found;
}

/**
 * The exact value of a timestamp that `JSON.parse` read as an unsafe integer.
 *
 * @param body - the frame buffer
 * @param start - the first byte of the body
 * @param end - one past the last byte of the body
 * @param text - the body, decoded
 * @returns the exact value, or `undefined` when the token is not a plain integer
 * (Go rejects exponents and fractions in an int64 field)
 */
export function exactTimestamp(
  body: Buffer,
  start: number,
  end: number,
  text: string,
): bigint | undefined {
  const tail = tailValue(body, start, end);
  if (tail !== undefined) return tail;
  const token = scanTimestampToken(text);
  if (token === undefined || !INTEGER.test(token)) return undefined;
  return BigInt(token);
}
