import { TaurusError } from "@taurus/core-conn";
import { BINARY_FRAME_OVERHEAD, BINARY_HEADER_SIZE, MAGIC_0, MAGIC_1 } from "./constants";
import { crc32 } from "./crc32";
import type { BinaryMessage } from "./message";

const U32_MAX = 0xffffffff;

function isU32(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= U32_MAX;
}

function invalid(detail: string): TaurusError<"INVALID_MESSAGE"> {
  return new TaurusError("INVALID_MESSAGE", `binary protocol: ${detail}`);
}

/**
 * Encodes one message to one binary frame, in a single allocation.
 *
 * @param message - the message to encode
 * @param maxMessageSize - the largest frame allowed, in bytes
 * @returns the frame bytes (a `Buffer`)
 * @throws `TaurusError` `INVALID_MESSAGE` when `version` is not a u8, `type` or
 * `sequence` not a u32, or `data` not a `Uint8Array`; `MESSAGE_TOO_LARGE` when the frame
 * would exceed `maxMessageSize`. Nothing is produced in either case.
 */
export function encodeBinary(message: BinaryMessage, maxMessageSize: number): Buffer {
  if (typeof message !== "object" || message === null) throw invalid("message is not an object");
  const { version, type, sequence, data } = message;
  if (typeof version !== "number" || !Number.isInteger(version) || version < 0 || version > 255) {
    throw invalid("version must be an integer from 0 to 255");
  }
  if (!isU32(type)) throw invalid("type must be an integer from 0 to 4294967295");
  if (!isU32(sequence)) throw invalid("sequence must be an integer from 0 to 4294967295");
  if (!(data instanceof Uint8Array)) throw invalid("data must be a Uint8Array");
  const length = data.length;
  const frameSize = BINARY_FRAME_OVERHEAD + length;
  if (frameSize > maxMessageSize) {
    throw new TaurusError(
      "MESSAGE_TOO_LARGE",
      `binary protocol: frame of ${frameSize} bytes exceeds maxMessageSize ${maxMessageSize}`,
    );
  }
  const frame = Buffer.allocUnsafe(frameSize);
  frame[0] = MAGIC_0;
  frame[1] = MAGIC_1;
  frame[2] = version;
  frame.writeUInt32BE(type, 3);
  frame.writeUInt32BE(sequence, 7);
  frame.writeUInt32BE(length, 11);
  frame.set(data, BINARY_HEADER_SIZE);
  const crcAt = BINARY_HEADER_SIZE + length;
  frame.writeUInt32BE(crc32(frame, 0, crcAt), crcAt);
  return frame;
}
