/**
 * Byte helpers that run in Node and in a browser: Node's `Buffer` when there
 * is one (chosen once, when the module loads: the Node path pays no check per
 * call), `Uint8Array`, `TextEncoder` and `TextDecoder` otherwise.
 */

const NodeBuffer = (globalThis as { Buffer?: typeof Buffer }).Buffer;
let encoder: InstanceType<typeof TextEncoder> | undefined;
let decoder: InstanceType<typeof TextDecoder> | undefined;

/**
 * A new byte array of `size` bytes, contents unspecified: a `Buffer` from
 * `Buffer.allocUnsafe` in Node, a zeroed `Uint8Array` elsewhere (typed as
 * `Buffer`: only its `Uint8Array` members may be used).
 *
 * @param size - the length in bytes
 * @returns the bytes
 */
export const allocBytes: (size: number) => Buffer = NodeBuffer
  ? (size) => NodeBuffer.allocUnsafe(size)
  : (size) => new Uint8Array(size) as Buffer;

/**
 * A new plain `Uint8Array` (not a `Buffer`) of `size` bytes over an
 * `ArrayBuffer` of its own, contents unspecified: in Node, memory that is not
 * zeroed first (as `Buffer.allocUnsafeSlow`), which saves a pass over it when
 * every byte is written before use; a zeroed one elsewhere.
 *
 * @param size - the length in bytes
 * @returns the bytes
 * @internal
 */
export const allocUninitialized: (size: number) => Uint8Array<ArrayBuffer> = NodeBuffer
  ? (size) => {
      const bytes = NodeBuffer.allocUnsafeSlow(size);
      return new Uint8Array(bytes.buffer as ArrayBuffer, bytes.byteOffset, size);
    }
  : (size) => new Uint8Array(size);

/**
 * The length of `text` in UTF-8 (lone surrogates count 3 bytes, as U+FFFD).
 *
 * @param text - any string
 * @returns its UTF-8 length in bytes
 */
export const utf8Length: (text: string) => number = NodeBuffer
  ? (text) => NodeBuffer.byteLength(text, "utf8")
  : (text) => {
      let n = 0;
      for (let i = 0; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if (c < 0x80) n += 1;
        else if (c < 0x800) n += 2;
        else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
          const d = text.charCodeAt(i + 1);
          if (d >= 0xdc00 && d <= 0xdfff) {
            n += 4;
            i++;
          } else n += 3;
        } else n += 3;
      }
      return n;
    };

/**
 * Writes `text` as UTF-8 into `target` at `offset`, at most `length` bytes.
 *
 * @param target - the bytes to write into
 * @param text - the string
 * @param offset - where the first byte goes
 * @param length - the room, normally `utf8Length(text)`
 * @returns the number of bytes written
 */
export const utf8Write: (
  target: Uint8Array,
  text: string,
  offset: number,
  length: number,
) => number = NodeBuffer
  ? (target, text, offset, length) => (target as Buffer).write(text, offset, length, "utf8")
  : (target, text, offset, length) => {
      encoder ??= new TextEncoder();
      return encoder.encodeInto(text, target.subarray(offset, offset + length)).written;
    };

/**
 * Reads `bytes[start, end)` as UTF-8; invalid sequences become U+FFFD.
 * In Node, `bytes` must be a `Buffer` (as a connection's buffer is).
 *
 * @param bytes - the bytes
 * @param start - the first byte
 * @param end - one past the last byte
 * @returns the text
 */
export const utf8Read: (bytes: Uint8Array, start: number, end: number) => string = NodeBuffer
  ? (bytes, start, end) => (bytes as Buffer).toString("utf8", start, end)
  : (bytes, start, end) => {
      decoder ??= new TextDecoder();
      return decoder.decode(bytes.subarray(start, end));
    };

/**
 * Writes `value` as a big-endian u32 at `offset`.
 *
 * @param target - the bytes to write into
 * @param value - an integer from 0 to 2^32 - 1
 * @param offset - where the first byte goes
 */
export function writeU32(target: Uint8Array, value: number, offset: number): void {
  target[offset] = value >>> 24;
  target[offset + 1] = (value >>> 16) & 0xff;
  target[offset + 2] = (value >>> 8) & 0xff;
  target[offset + 3] = value & 0xff;
}
