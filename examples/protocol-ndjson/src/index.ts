/**
 * Newline-delimited JSON for Taurus: one JSON object per line, UTF-8.
 *
 * This package is an example of a third-party protocol: it depends on the
 * public exports of `@taurus/core-conn` alone, and its test runs the same
 * conformance suite as the built-in protocols.
 */
import { type DecodeResult, NEED_MORE, type Protocol, TaurusError } from "@taurus/core-conn";

/** One message: any JSON object. */
export type NdjsonMessage = Record<string, unknown>;

/** Default largest line, newline included: 64 KiB. */
export const DEFAULT_NDJSON_MAX_MESSAGE_SIZE = 64 * 1024;

const NEWLINE = 0x0a;

/**
 * Creates the NDJSON protocol.
 *
 * Decoding: a line that is not a JSON object is dropped as `malformed_body`;
 * a line longer than the limit is dropped as `too_large` while it streams in
 * (its remainder is dropped as `malformed_body` when its newline arrives).
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
    decode(buffer: Buffer, start: number, end: number, limit: number): DecodeResult<NdjsonMessage> {
      const max = Math.min(limit, maxMessageSize);
      const nl = buffer.indexOf(NEWLINE, start);
      if (nl === -1 || nl >= end) {
        return end - start >= max
          ? { kind: "drop", consumed: end - start, reason: "too_large" }
          : NEED_MORE;
      }
      const consumed = nl + 1 - start;
      if (consumed > max) return { kind: "drop", consumed, reason: "too_large" };
      let value: unknown;
      try {
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
