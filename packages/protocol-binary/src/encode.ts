import { allocBytes, TaurusError, writeU32 } from "@taurus/core-conn/codec";
import { BINARY_FRAME_OVERHEAD, BINARY_HEADER_SIZE, MAGIC_0, MAGIC_1 } from "./constants";
import { crc32Continue, crc32Table } from "./crc32";
import type { BinaryMessage } from "./message";

const U32_MAX = 0xffffffff;

function isU32(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= U32_MAX;
}

function invalid(detail: string): TaurusError<"INVALID_MESSAGE"> {
  return new TaurusError("INVALID_MESSAGE", `binary protocol: ${detail}`);
}

/**
 * Checks that `message` can be put on the wire and returns the size of its frame.
 *
 * @param message - the message to encode
 * @param maxMessageSize - the largest frame allowed, in bytes
 * @returns the frame size in bytes (19 + data length)
 * @throws `TaurusError` `INVALID_MESSAGE` when `version` is not a u8, `type` or
 * `sequence` not a u32, or `data` not a `Uint8Array`; `MESSAGE_TOO_LARGE` when the frame
 * would exceed `maxMessageSize`.
 */
export function binaryFrameSize(message: BinaryMessage, maxMessageSize: number): number {
  if (typeof message !== "object" || message === null) throw invalid("message is not an object");
  const { version, type, sequence, data } = message;
  if (typeof version !== "number" || !Number.isInteger(version) || version < 0 || version > 255) {
    throw invalid("version must be an integer from 0 to 255");
  }
  if (!isU32(type)) throw invalid("type must be an integer from 0 to 4294967295");
  if (!isU32(sequence)) throw invalid("sequence must be an integer from 0 to 4294967295");
  if (!(data instanceof Uint8Array)) throw invalid("data must be a Uint8Array");
  const frameSize = BINARY_FRAME_OVERHEAD + data.length;
  if (frameSize > maxMessageSize) {
    throw new TaurusError(
      "MESSAGE_TOO_LARGE",
      `binary protocol: frame of ${frameSize} bytes exceeds maxMessageSize ${maxMessageSize}`,
    );
  }
  return frameSize;
}

/**
 * Writes the frame of a message already checked by {@link binaryFrameSize} into `target`.
 *
 * @param message - the message
 * @param target - the buffer to write into, with room for the frame from `offset`
 * @param offset - where the frame starts
 * @returns the frame size in bytes
 */
export function writeBinaryFrame(message: BinaryMessage, target: Buffer, offset: number): number {
  const { data } = message;
  const length = data.length;
  target[offset] = MAGIC_0;
  target[offset + 1] = MAGIC_1;
  target[offset + 2] = message.version;
  writeU32(target, message.type, offset + 3);
  writeU32(target, message.sequence, offset + 7);
  writeU32(target, length, offset + 11);
  target.set(data, offset + BINARY_HEADER_SIZE);
  const dataAt = offset + BINARY_HEADER_SIZE;
  const crcAt = dataAt + length;
  // The header from the table, then the data from the message's own array: no view to create.
  writeU32(target, crc32Continue(data, crc32Table(target, offset, dataAt)), crcAt);
  return BINARY_FRAME_OVERHEAD + length;
}

/**
 * Encodes one message to one binary frame, in a single allocation.
 *
 * @param message - the message to encode
 * @param maxMessageSize - the largest frame allowed, in bytes
 * @returns the frame bytes (a `Buffer`)
 * @throws as {@link binaryFrameSize}. Nothing is produced in either case.
 */
export function encodeBinary(message: BinaryMessage, maxMessageSize: number): Buffer {
  const frame = allocBytes(binaryFrameSize(message, maxMessageSize));
  writeBinaryFrame(message, frame, 0);
  return frame;
}
