/**
 * Newline-delimited UTF-8 text for Taurus: one message per line, on protocol
 * contract v2. Talk to a server speaking it with `nc`.
 *
 * This package is an example of a third-party protocol: it depends on the
 * public exports of `@taurus/core-conn` alone (a peer dependency), and its
 * test runs the whole conformance kit, oversize and garbage included.
 */
import {
  type DecodeResult,
  type Decoder,
  type DecoderOptions,
  NEED_MORE,
  type Protocol,
  TaurusError,
} from "@taurus/core-conn";

/** Default largest line, newline included: 4 KiB. */
export const DEFAULT_LINE_MAX_MESSAGE_SIZE = 4096;

/** Options of {@link createLineProtocol}. */
export interface LineProtocolOptions {
  /**
   * The largest line in bytes, its `\n` included (a `\r` before it counts too).
   * @defaultValue 4096 ({@link DEFAULT_LINE_MAX_MESSAGE_SIZE})
   */
  maxMessageSize?: number;
}

/** The line protocol: all of contract v2 (a decoder per connection, and `encodeInto`). */
export interface LineProtocol extends Protocol<string> {
  encodedLength(line: string): number;
  encodeInto(line: string, target: Buffer, offset: number): number;
  createDecoder(options: DecoderOptions): Decoder<string>;
}

const LF = 0x0a;
const CR = 0x0d;
const utf8 = new TextDecoder("utf-8", { fatal: true });

/** The index of the first `\n` in `buffer[from, end)`, or -1 (bytes past `end` are not ours). */
function indexOfLf(buffer: Buffer, from: number, end: number): number {
  if (from >= end) return -1;
  const i = buffer.subarray(from, end).indexOf(LF);
  return i === -1 ? -1 : from + i;
}

/**
 * The decoder of one connection. It keeps two things between calls:
 * - `scanned`: how many bytes after `start` are known to hold no `\n`, so a
 *   line that arrives in many chunks is scanned once (positions are kept
 *   relative to `start`: the connection may move the bytes between calls);
 * - `skipping`: inside a line that grew past the limit, dropped through its
 *   `\n` (reported once; the rest is a continued drop), so its tail is never
 *   taken for a line.
 */
class LineDecoder implements Decoder<string> {
  private scanned = 0;
  private skipping = false;

  constructor(private readonly limit: number) {}

  decode(buffer: Buffer, start: number, end: number): DecodeResult<string> {
    if (this.skipping) {
      const lf = indexOfLf(buffer, start, end);
      if (lf !== -1) this.skipping = false;
      const consumed = (lf === -1 ? end : lf + 1) - start;
      return { kind: "drop", consumed, reason: "too_large", continues: true };
    }
    const lf = indexOfLf(buffer, start + this.scanned, end);
    if (lf === -1) {
      if (end - start < this.limit) {
        this.scanned = end - start;
        return NEED_MORE;
      }
      // No room left for the `\n`: the line is too long. Skip it as it streams in.
      this.scanned = 0;
      this.skipping = true;
      return {
        kind: "drop",
        consumed: end - start,
        reason: "too_large",
        detail: `line over ${this.limit} bytes`,
      };
    }
    this.scanned = 0;
    const consumed = lf + 1 - start;
    if (consumed > this.limit) {
      return {
        kind: "drop",
        consumed,
        reason: "too_large",
        detail: `line of ${consumed} bytes over ${this.limit}`,
      };
    }
    const stop = lf > start && buffer[lf - 1] === CR ? lf - 1 : lf;
    let line: string;
    try {
      // A string is a copy: nothing of the receive buffer is kept.
      line = utf8.decode(buffer.subarray(start, stop));
    } catch {
      return { kind: "drop", consumed, reason: "malformed_body", detail: "not UTF-8" };
    }
    return { kind: "message", message: line, consumed };
  }
}

function invalid(detail: string): TaurusError<"INVALID_MESSAGE"> {
  return new TaurusError("INVALID_MESSAGE", `line protocol: ${detail}`);
}

/**
 * Creates the line protocol: UTF-8 text, one message per line, each ended by
 * `\n` (`\r\n` is accepted, so `nc -C` and telnet work). Decoding drops a line
 * over the limit as `too_large` (skipped through its `\n`, as it streams in)
 * and a line that is not UTF-8 as `malformed_body`.
 *
 * @param options - see {@link LineProtocolOptions}
 * @returns a {@link LineProtocol} named `"lines"`
 * @throws `TaurusError` `INVALID_OPTION` when `maxMessageSize` is not an integer of at least 1
 */
export function createLineProtocol(options: LineProtocolOptions = {}): LineProtocol {
  const maxMessageSize = options.maxMessageSize ?? DEFAULT_LINE_MAX_MESSAGE_SIZE;
  if (!Number.isSafeInteger(maxMessageSize) || maxMessageSize < 1) {
    throw new TaurusError(
      "INVALID_OPTION",
      `line protocol: maxMessageSize must be an integer >= 1, got ${String(maxMessageSize)}`,
    );
  }
  const encodedLength = (line: string): number => {
    if (typeof line !== "string") throw invalid("a message is a string");
    if (line.includes("\n") || line.endsWith("\r")) {
      throw invalid("a line cannot hold a newline or end with a carriage return");
    }
    const size = Buffer.byteLength(line, "utf8") + 1;
    if (size > maxMessageSize) {
      throw new TaurusError(
        "MESSAGE_TOO_LARGE",
        `line protocol: line of ${size} bytes over ${maxMessageSize}`,
      );
    }
    return size;
  };
  const encodeInto = (line: string, target: Buffer, offset: number): number => {
    const size = encodedLength(line);
    target.write(line, offset, size - 1, "utf8");
    target[offset + size - 1] = LF;
    return size;
  };
  return {
    name: "lines",
    maxMessageSize,
    encode(line) {
      const frame = Buffer.allocUnsafe(encodedLength(line));
      encodeInto(line, frame, 0);
      return frame;
    },
    encodedLength,
    encodeInto,
    createDecoder: ({ maxMessageSize: limit }) => new LineDecoder(Math.min(limit, maxMessageSize)),
  };
}
