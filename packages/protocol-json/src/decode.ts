import {
  type DecodeResult,
  type Drop,
  NEED_MORE,
  resyncToMagic,
  utf8Read,
} from "@taurus/core-conn/codec";
import { INT64_MAX, INT64_MIN, JSON_HEADER_SIZE, MAGIC_0, MAGIC_1, U32_MAX } from "./constants";
import { DEFAULT_JSON_MAX_DEPTH, exceedsJsonDepth } from "./depth";
import type { JsonMessage } from "./message";
import { exactTimestamp } from "./timestamp";

const INT64_LIMIT = 2 ** 63;

function drop(consumed: number, reason: Drop["reason"], detail: string): Drop {
  return { kind: "drop", consumed, reason, detail };
}

/** A u32 field as Go unmarshals it: absent or `null` is 0; anything but a u32 is an error. */
function u32Field(value: unknown): number | undefined {
  if (value === undefined || value === null) return 0;
  return typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= U32_MAX
    ? value
    : undefined;
}

/**
 * Decodes the first JSON frame of `buffer[start, end)`, following the Go original's steps
 * (see `fixtures/wire/FORMAT.md`). Never throws.
 *
 * The body is decoded as UTF-8 (`Buffer#toString` in Node, `TextDecoder` elsewhere): invalid sequences become U+FFFD, as
 * Go's `encoding/json` does for strings. Keys are matched exactly (Go also matches them
 * case-insensitively: `"Type"` is a Go-only spelling that Taurus treats as absent).
 *
 * @param buffer - the buffered bytes; only `[start, end)` is read
 * @param start - the first unconsumed byte
 * @param end - one past the last buffered byte
 * @param maxMessageSize - the largest whole frame accepted
 * @param maxDepth - the deepest nesting of the body; deeper is dropped before parsing
 * @returns the message, `NEED_MORE`, or a drop: `invalid_format` for bytes before a magic or
 * a zero `type`/`sequence`/`timestamp`; `too_large` for a frame over the limit (consumed =
 * the whole frame, possibly more than buffered); `malformed_body` for a body that is not
 * JSON, nests deeper than `maxDepth`, or does not fit the message's fields (detail = the reason)
 */
export function decodeJson(
  buffer: Buffer,
  start: number,
  end: number,
  maxMessageSize: number,
  maxDepth = DEFAULT_JSON_MAX_DEPTH,
): DecodeResult<JsonMessage> {
  const available = end - start;
  if (available < 2 || buffer[start] !== MAGIC_0 || buffer[start + 1] !== MAGIC_1) {
    if (available <= 0) return NEED_MORE;
    return resyncToMagic(buffer, start, end, MAGIC_0, MAGIC_1);
  }
  if (available < JSON_HEADER_SIZE) return NEED_MORE;
  const length =
    (buffer[start + 2] as number) * 0x1000000 +
    (((buffer[start + 3] as number) << 16) |
      ((buffer[start + 4] as number) << 8) |
      (buffer[start + 5] as number));
  const frameSize = JSON_HEADER_SIZE + length;
  if (frameSize > maxMessageSize) {
    return drop(frameSize, "too_large", `frame of ${frameSize} bytes exceeds ${maxMessageSize}`);
  }
  if (available < frameSize) return NEED_MORE;
  const bodyStart = start + JSON_HEADER_SIZE;
  const bodyEnd = start + frameSize;
  if (exceedsJsonDepth(buffer, bodyStart, bodyEnd, maxDepth))
    return drop(frameSize, "malformed_body", `body nested deeper than ${maxDepth}`);
  const text = utf8Read(buffer, bodyStart, bodyEnd);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    return drop(frameSize, "malformed_body", err instanceof Error ? err.message : String(err));
  }
  if (typeof body !== "object" || Array.isArray(body)) {
    return drop(frameSize, "malformed_body", "body is not a JSON object");
  }
  // A JSON `null` body leaves every field at zero in Go: an invalid format, below.
  const fields = (body ?? {}) as Record<string, unknown>;
  const type = u32Field(fields.type);
  if (type === undefined) return drop(frameSize, "malformed_body", "type is not a u32");
  const sequence = u32Field(fields.sequence);
  if (sequence === undefined) return drop(frameSize, "malformed_body", "sequence is not a u32");
  const data = fields.data ?? null;
  if (typeof data !== "object" || Array.isArray(data)) {
    return drop(frameSize, "malformed_body", "data is not an object or null");
  }
  const ts = fields.timestamp ?? 0;
  if (typeof ts !== "number" || !Number.isInteger(ts) || ts < -INT64_LIMIT || ts > INT64_LIMIT) {
    return drop(frameSize, "malformed_body", "timestamp is not an int64");
  }
  let timestamp: bigint | undefined;
  if (Number.isSafeInteger(ts)) {
    timestamp = BigInt(ts);
  } else {
    timestamp = exactTimestamp(buffer, bodyStart, bodyEnd, text);
    if (timestamp === undefined || timestamp < INT64_MIN || timestamp > INT64_MAX) {
      return drop(frameSize, "malformed_body", "timestamp is not an int64");
    }
  }
  if (type === 0 || sequence === 0 || timestamp === 0n) {
    return drop(frameSize, "invalid_format", "type, sequence and timestamp must be non-zero");
  }
  return {
    kind: "message",
    message: { type, sequence, data: data as Record<string, unknown> | null, timestamp },
    consumed: frameSize,
  };
}
