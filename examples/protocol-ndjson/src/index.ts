/**
 * Newline-delimited JSON for Taurus: one JSON object per line, UTF-8, on
 * protocol contract v2.
 *
 * This package is an example of a third-party protocol: it depends on the
 * public exports of `@taurus/core-conn` alone (a peer dependency), and its
 * test runs the same conformance kit as the built-in protocols.
 */
import {
  type DecodeResult,
  type Decoder,
  NEED_MORE,
  type Protocol,
  TaurusError,
} from "@taurus/core-conn";

/** One message: any JSON object. */
export type NdjsonMessage = Record<string, unknown>;

/** Default largest line, newline included: 64 KiB. */
export const DEFAULT_NDJSON_MAX_MESSAGE_SIZE = 64 * 1024;

const NEWLINE = 0x0a;

/** The index of the first newline in `buffer[from, end)`, or -1 (bytes past `end` are not ours). */
function indexOfNewline(buffer: Buffer, from: number, end: number): number {
  if (from >= end) return -1;
  const i = buffer.subarray(from, end).indexOf(NEWLINE);
  return i === -1 ? -1 : from + i;
}

/**
 * The decoder of one connection: it remembers how far it scanned (relative to
 * `start`), so a line arriving in many chunks is scanned once, and whether it
 * is skipping a line that grew past the limit (through its newline).
 */
function createNdjsonDecoder(limit: number): Decoder<NdjsonMessage> {
  let scanned = 0;
  let skipping = false;
  return {
    decode(buffer: Buffer, start: number, end: number): DecodeResult<NdjsonMessage> {
      if (skipping) {
        const nl = indexOfNewline(buffer, start, end);
        if (nl !== -1) skipping = false;
        const consumed = (nl === -1 ? end : nl + 1) - start;
        return { kind: "drop", consumed, reason: "too_large", continues: true };
      }
      const nl = indexOfNewline(buffer, start + scanned, end);
      if (nl === -1) {
        if (end - start < limit) {
          scanned = end - start;
          return NEED_MORE;
        }
        scanned = 0;
        skipping = true;
        return { kind: "drop", consumed: end - start, reason: "too_large" };
      }
      scanned = 0;
      const consumed = nl + 1 - start;
      if (consumed > limit) return { kind: "drop", consumed, reason: "too_large" };
      let value: unknown;
      try {
        // toString copies: the message keeps nothing of the receive buffer.
        value = JSON.parse(buffer.toString("utf8", start, nl));
      } catch (err) {
        return { kind: "drop", consumed, reason: "malformed_body", detail: (err as Error).message };
      }
      if (typeof value !== "object" || value === null || Array.isArray(value)) {
        return { kind: "drop", consumed, reason: "malformed_body", detail: "not a JSON object" };
      }
      return { kind: "message", message: value as NdjsonMessage, consumed };
    },
  };
}

/**
 * Creates the NDJSON protocol.
 *
 * Decoding: a line that is not a JSON object is dropped as `malformed_body`;
 * a line longer than the limit is dropped as `too_large` while it streams in,
 * through its newline (reported once).
 *
 * @param maxMessageSize - the largest line in bytes, newline included
 * @throws `TaurusError` `INVALID_OPTION` when `maxMessageSize` is below 3
 */
export function createNdjsonProtocol(
  maxMessageSize = DEFAULT_NDJSON_MAX_MESSAGE_SIZE,
): Protocol<NdjsonMessage> {
  if (!Number.isSafeInteger(maxMessageSize) || maxMessageSize < 3) {
    throw new TaurusError(
      "INVALID_OPTION",
      `maxMessageSize must be an integer >= 3, got ${maxMessageSize}`,
    );
  }
  return {
    name: "ndjson",
    maxMessageSize,
    encode(message: NdjsonMessage): Uint8Array {
      if (typeof message !== "object" || message === null || Array.isArray(message)) {
        throw new TaurusError("INVALID_MESSAGE", "an NDJSON message must be a JSON object");
      }
      // JSON.stringify escapes newlines inside strings, so a line never holds one.
      const line = Buffer.from(`${JSON.stringify(message)}\n`, "utf8");
      if (line.length > maxMessageSize) {
        throw new TaurusError(
          "MESSAGE_TOO_LARGE",
          `line of ${line.length} bytes exceeds ${maxMessageSize}`,
        );
      }
      return line;
    },
    createDecoder: ({ maxMessageSize: limit }) =>
      createNdjsonDecoder(Math.min(limit, maxMessageSize)),
  };
}
