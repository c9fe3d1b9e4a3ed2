import { allocBytes, TaurusError, utf8Length, utf8Write, writeU32 } from "@taurus/core-conn/codec";
import { INT64_MAX, INT64_MIN, JSON_HEADER_SIZE, MAGIC_0, MAGIC_1, U32_MAX } from "./constants";
import type { JsonMessage } from "./message";

function isNonZeroU32(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value > 0 && value <= U32_MAX;
}

function isPlainObject(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function invalid(detail: string, cause?: unknown): TaurusError<"INVALID_MESSAGE"> {
  return new TaurusError("INVALID_MESSAGE", `json protocol: ${detail}`, { cause });
}

/** The current time in nanoseconds since the epoch, at millisecond precision. */
function nowNanos(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}

function stringifyData(data: unknown): string {
  if (data === null) return "null";
  if (typeof data !== "object" || Array.isArray(data) || !isPlainObject(data)) {
    throw invalid("data must be a plain object or null (a Go peer drops anything else)");
  }
  let json: string | undefined;
  try {
    json = JSON.stringify(data);
  } catch (err) {
    throw invalid("data cannot be serialised to JSON", err);
  }
  if (typeof json !== "string" || json.charCodeAt(0) !== 0x7b /* { */) {
    throw invalid("data must serialise to a JSON object");
  }
  return json;
}

/**
 * Checks `message` and serialises its body:
 * `{"type":T,"sequence":S,"data":D,"timestamp":N}` with the exact digits of `timestamp`.
 *
 * @param message - the message to encode; `timestamp` `0n` is replaced by the current time
 * @returns the body text
 * @throws `TaurusError` `INVALID_MESSAGE` when `type` or `sequence` is not a non-zero
 * u32, `data` is not a plain object or `null` (or cannot be serialised), or `timestamp` is not
 * an int64 `bigint`.
 */
export function jsonBody(message: JsonMessage): string {
  if (typeof message !== "object" || message === null) throw invalid("message is not an object");
  const { type, sequence, data, timestamp } = message;
  if (!isNonZeroU32(type)) throw invalid("type must be an integer from 1 to 4294967295");
  if (!isNonZeroU32(sequence)) throw invalid("sequence must be an integer from 1 to 4294967295");
  if (typeof timestamp !== "bigint" || timestamp < INT64_MIN || timestamp > INT64_MAX) {
    throw invalid("timestamp must be a bigint in the int64 range");
  }
  return `{"type":${type},"sequence":${sequence},"data":${stringifyData(data)},"timestamp":${
    timestamp === 0n ? nowNanos() : timestamp
  }}`;
}

/**
 * The UTF-8 length of a body, checked against the frame limit.
 *
 * @throws `TaurusError` `MESSAGE_TOO_LARGE` when the frame would exceed `maxMessageSize`
 */
export function jsonBodyLength(body: string, maxMessageSize: number): number {
  const length = utf8Length(body);
  const frameSize = JSON_HEADER_SIZE + length;
  if (frameSize > maxMessageSize) {
    throw new TaurusError(
      "MESSAGE_TOO_LARGE",
      `json protocol: frame of ${frameSize} bytes exceeds maxMessageSize ${maxMessageSize}`,
    );
  }
  return length;
}

/**
 * Writes a frame (header and body) into `target` at `offset`.
 *
 * @param length - the body's UTF-8 length, from {@link jsonBodyLength}
 * @returns the frame size in bytes
 */
export function writeJsonFrame(
  target: Buffer,
  offset: number,
  body: string,
  length: number,
): number {
  target[offset] = MAGIC_0;
  target[offset + 1] = MAGIC_1;
  writeU32(target, length, offset + 2);
  utf8Write(target, body, offset + JSON_HEADER_SIZE, length);
  return JSON_HEADER_SIZE + length;
}

/**
 * Encodes one message to one JSON frame, in a single allocation.
 *
 * @param message - the message to encode; `timestamp` `0n` is replaced by the current time
 * @param maxMessageSize - the largest frame allowed, in bytes
 * @returns the frame bytes (a `Buffer`)
 * @throws as {@link jsonBody}, and `TaurusError` `MESSAGE_TOO_LARGE` when the frame would
 * exceed `maxMessageSize`.
 */
export function encodeJson(message: JsonMessage, maxMessageSize: number): Buffer {
  const body = jsonBody(message);
  const length = jsonBodyLength(body, maxMessageSize);
  const frame = allocBytes(JSON_HEADER_SIZE + length);
  writeJsonFrame(frame, 0, body, length);
  return frame;
}
