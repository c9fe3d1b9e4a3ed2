// Hand-rolled frames of the two Taurus wire formats (fixtures/wire/FORMAT.md), shared by the
// load generators and the raw baselines, so that every server of a format sees the same bytes.
import { crc32 } from "node:zlib";

/** @typedef {"binary" | "json"} Format */

/**
 * Where a format keeps its length field.
 * @type {Record<Format, { header: number, lengthAt: number, overhead: number }>}
 */
export const LAYOUT = {
  binary: { header: 15, lengthAt: 11, overhead: 19 },
  json: { header: 6, lengthAt: 2, overhead: 6 },
};

/** Offset of the data in a binary frame. */
export const BINARY_DATA_AT = 15;

/** A fixed, realistic JSON timestamp (ns): above 2^53 like Go's, and exact as a double. */
const JSON_TIMESTAMP = "1700000000000000000";

/**
 * One binary frame: magic CA FE, version 1, type (2, a chat user message, unless given),
 * sequence, length, data, CRC-32.
 * @param {Uint8Array} data
 * @param {number} [sequence]
 * @param {number} [type]
 * @returns {Buffer}
 */
export function binaryFrame(data, sequence = 1, type = 2) {
  const frame = Buffer.allocUnsafe(19 + data.length);
  frame[0] = 0xca;
  frame[1] = 0xfe;
  frame[2] = 1;
  frame.writeUInt32BE(type, 3);
  frame.writeUInt32BE(sequence, 7);
  frame.writeUInt32BE(data.length, 11);
  frame.set(data, 15);
  frame.writeUInt32BE(crc32(frame.subarray(0, 15 + data.length)) >>> 0, 15 + data.length);
  return frame;
}

/**
 * A chat join from `name` as a binary frame (type 1): a chat server relays nothing from a
 * peer before it joins.
 * @param {string} name
 * @returns {Buffer}
 */
export function chatJoinFrame(name) {
  const join = { type: 1, sequence: 1, from: name, to: "", content: "加入了聊天室" };
  return binaryFrame(Buffer.from(JSON.stringify(join)), 1, 1);
}

/**
 * A chat heartbeat in the binary protocol, as the Go client sends it: the server answers the
 * sender alone. A listener writes one first, as every chat client speaks first: a server with
 * sessions holds what it sends a new connection until the client's first frame (up to 1 s).
 */
export function chatHeartbeatFrame() {
  const ping = { type: 3, sequence: 1, from: "", to: "", content: "ping" };
  return binaryFrame(Buffer.from(JSON.stringify(ping)), 1, 3);
}

/**
 * Rewrites the CRC of a binary frame after its bytes were changed in place.
 * @param {Buffer} frame
 */
export function resealBinary(frame) {
  const at = frame.length - 4;
  frame.writeUInt32BE(crc32(frame.subarray(0, at)) >>> 0, at);
}

/**
 * One JSON frame whose `data` object serialises to exactly `size` bytes (at least 8).
 * @param {number} size
 * @returns {Buffer}
 */
export function jsonFrame(size) {
  const data = `{"p":"${"x".repeat(Math.max(0, size - 8))}"}`;
  const body = `{"type":2,"sequence":1,"data":${data},"timestamp":${JSON_TIMESTAMP}}`;
  const length = Buffer.byteLength(body);
  const frame = Buffer.allocUnsafe(6 + length);
  frame[0] = 0xfe;
  frame[1] = 0xff;
  frame.writeUInt32BE(length, 2);
  frame.write(body, 6);
  return frame;
}

/**
 * One frame of `format` carrying a payload of `size` bytes.
 * @param {Format} format
 * @param {number} size
 * @returns {Buffer}
 */
export function frameOf(format, size) {
  return format === "binary" ? binaryFrame(Buffer.alloc(size, 0x61)) : jsonFrame(size);
}

/**
 * `count` copies of `frame`, back to back, so that `k` frames are one zero-copy subarray.
 * @param {Buffer} frame
 * @param {number} count
 * @returns {Buffer}
 */
export function repeatFrame(frame, count) {
  const block = Buffer.allocUnsafe(frame.length * count);
  for (let i = 0; i < count; i++) frame.copy(block, i * frame.length);
  return block;
}

/**
 * Counts complete frames in a byte stream without copying: reads each header, then skips the
 * frame's bytes as they arrive. Only a header split across chunks is copied.
 */
export class FrameCounter {
  /** @param {Format} format */
  constructor(format) {
    const { header, lengthAt, overhead } = LAYOUT[format];
    this.header = header;
    this.lengthAt = lengthAt;
    this.overhead = overhead;
    this.partial = Buffer.alloc(header);
    this.partialLength = 0;
    /** Bytes of the current frame still to come, after its header. */
    this.skip = 0;
  }

  /**
   * @param {Buffer} chunk
   * @returns {number} frames completed by this chunk
   */
  push(chunk) {
    let count = 0;
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      if (this.skip > 0) {
        const k = Math.min(this.skip, n - i);
        this.skip -= k;
        i += k;
        if (this.skip === 0) count++;
        continue;
      }
      let frameSize;
      if (this.partialLength === 0 && n - i >= this.header) {
        frameSize = this.overhead + chunk.readUInt32BE(i + this.lengthAt);
        if (n - i >= frameSize) {
          i += frameSize;
          count++;
          continue;
        }
        this.skip = frameSize - (n - i);
        i = n;
        continue;
      }
      const k = Math.min(this.header - this.partialLength, n - i);
      chunk.copy(this.partial, this.partialLength, i, i + k);
      this.partialLength += k;
      i += k;
      if (this.partialLength < this.header) continue;
      this.partialLength = 0;
      frameSize = this.overhead + this.partial.readUInt32BE(this.lengthAt);
      this.skip = frameSize - this.header;
      if (this.skip === 0) count++;
    }
    return count;
  }
}

/**
 * Splits a byte stream into whole frames, copying only an incomplete tail.
 * @param {Format} format
 * @param {(buf: Buffer, start: number, end: number) => void} onFrame
 * @returns {(chunk: Buffer) => void} the function to feed chunks to
 */
export function frameSplitter(format, onFrame) {
  const { header, lengthAt, overhead } = LAYOUT[format];
  /** @type {Buffer | undefined} */
  let rest;
  return (chunk) => {
    const buf = rest ? Buffer.concat([rest, chunk]) : chunk;
    rest = undefined;
    let i = 0;
    while (buf.length - i >= header) {
      const end = i + overhead + buf.readUInt32BE(i + lengthAt);
      if (end > buf.length) break;
      onFrame(buf, i, end);
      i = end;
    }
    if (i < buf.length) rest = Buffer.from(buf.subarray(i));
  };
}
