/**
 * `zlib.crc32` when the runtime is Node (found without a static import, so the
 * browser build has no `node:zlib`); `undefined` elsewhere, where the table serves all sizes.
 */
const zlibCrc32: ((data: Uint8Array, value?: number) => number) | undefined =
  typeof process === "object"
    ? (
        process as {
          getBuiltinModule?: (
            id: "zlib",
          ) => { crc32?: (data: Uint8Array, value?: number) => number } | undefined;
        }
      ).getBuiltinModule?.("zlib")?.crc32
    : undefined;

/**
 * Below this many bytes, the table CRC in JavaScript beats `zlib.crc32`, whose per-call
 * cost (a native call plus a view over the range) dominates small frames. Measured with
 * `codec.bench.ts`: the crossover is near 256 bytes.
 */
export const NATIVE_THRESHOLD = 192;

/** Slicing-by-8 tables of CRC-32/IEEE (reflected polynomial 0xEDB88320). */
const TABLE = buildTable();

function buildTable(): Int32Array {
  const table = new Int32Array(256 * 8);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    let c = table[n] as number;
    for (let t = 1; t < 8; t++) {
      c = (table[c & 0xff] as number) ^ (c >>> 8);
      table[t * 256 + n] = c;
    }
  }
  return table;
}

/**
 * CRC-32/IEEE of `bytes[start, end)` in pure JavaScript (slicing-by-8).
 *
 * @param bytes - the bytes
 * @param start - the first index
 * @param end - one past the last index
 * @param value - the CRC of the bytes before `start`, to continue it (default 0: none)
 * @returns the CRC as an unsigned 32-bit integer
 */
export function crc32Table(bytes: Uint8Array, start: number, end: number, value = 0): number {
  const t = TABLE;
  let c = ~value;
  let i = start;
  for (; i + 8 <= end; i += 8) {
    c ^=
      (bytes[i] as number) |
      ((bytes[i + 1] as number) << 8) |
      ((bytes[i + 2] as number) << 16) |
      ((bytes[i + 3] as number) << 24);
    const h =
      (bytes[i + 4] as number) |
      ((bytes[i + 5] as number) << 8) |
      ((bytes[i + 6] as number) << 16) |
      ((bytes[i + 7] as number) << 24);
    c =
      (t[1792 + (c & 0xff)] as number) ^
      (t[1536 + ((c >>> 8) & 0xff)] as number) ^
      (t[1280 + ((c >>> 16) & 0xff)] as number) ^
      (t[1024 + (c >>> 24)] as number) ^
      (t[768 + (h & 0xff)] as number) ^
      (t[512 + ((h >>> 8) & 0xff)] as number) ^
      (t[256 + ((h >>> 16) & 0xff)] as number) ^
      (t[h >>> 24] as number);
  }
  for (; i < end; i++) c = (t[(c ^ (bytes[i] as number)) & 0xff] as number) ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

/**
 * CRC-32/IEEE of `bytes[start, end)` with `zlib.crc32` (the table where there is no zlib).
 *
 * @param bytes - the bytes
 * @param start - the first index
 * @param end - one past the last index
 * @returns the CRC as an unsigned 32-bit integer
 */
export function crc32Native(bytes: Uint8Array, start: number, end: number): number {
  if (zlibCrc32 === undefined) return crc32Table(bytes, start, end);
  return zlibCrc32(new Uint8Array(bytes.buffer, bytes.byteOffset + start, end - start)) >>> 0;
}

/**
 * CRC-32/IEEE of `bytes[start, end)`: the JavaScript table for small ranges, `zlib.crc32`
 * for large ones. Both give the same value.
 *
 * @param bytes - the bytes
 * @param start - the first index
 * @param end - one past the last index
 * @returns the CRC as an unsigned 32-bit integer
 */
export function crc32(bytes: Uint8Array, start: number, end: number): number {
  return end - start < NATIVE_THRESHOLD
    ? crc32Table(bytes, start, end)
    : crc32Native(bytes, start, end);
}

/**
 * Continues `value`, the CRC-32/IEEE of some bytes, over the whole of `bytes`, as if they
 * followed: `crc32Continue(b, crc32(a)) === crc32(a + b)`. Large arrays go to `zlib.crc32`
 * with no view to create (the array is passed as it is); small ones to the table.
 *
 * @param bytes - the bytes that follow (any `Uint8Array`, a view included)
 * @param value - the CRC of the bytes before them
 * @returns the CRC as an unsigned 32-bit integer
 */
export function crc32Continue(bytes: Uint8Array, value: number): number {
  if (zlibCrc32 === undefined || bytes.length < NATIVE_THRESHOLD) {
    return crc32Table(bytes, 0, bytes.length, value);
  }
  return zlibCrc32(bytes, value) >>> 0;
}
