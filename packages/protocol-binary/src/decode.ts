import {
  copyBytes,
  type DecodeResult,
  type Drop,
  NEED_MORE,
  resyncToMagic,
} from "@taurus/core-conn/codec";
import { BINARY_FRAME_OVERHEAD, BINARY_HEADER_SIZE, MAGIC_0, MAGIC_1 } from "./constants";
import { crc32Continue, crc32Table, NATIVE_THRESHOLD } from "./crc32";
import type { BinaryMessage } from "./message";

function u32(b: Buffer, i: number): number {
  return (
    (b[i] as number) * 0x1000000 +
    (((b[i + 1] as number) << 16) | ((b[i + 2] as number) << 8) | (b[i + 3] as number))
  );
}

function drop(consumed: number, reason: Drop["reason"], detail: string): Drop {
  return { kind: "drop", consumed, reason, detail };
}

/**
 * Decodes the first binary frame of `buffer[start, end)`, following the Go original's steps
 * (see `fixtures/wire/FORMAT.md`). Never throws.
 *
 * @param buffer - the buffered bytes; only `[start, end)` is read
 * @param start - the first unconsumed byte
 * @param end - one past the last buffered byte
 * @param maxMessageSize - the largest whole frame accepted
 * @returns the message (its `data` copied), `NEED_MORE`, or a drop: `invalid_format` for
 * bytes before a magic, `too_large` for a frame over the limit (consumed = the whole frame,
 * possibly more than buffered), `checksum` for a CRC mismatch (consumed = the frame)
 */
export function decodeBinary(
  buffer: Buffer,
  start: number,
  end: number,
  maxMessageSize: number,
): DecodeResult<BinaryMessage> {
  const available = end - start;
  if (available < 2 || buffer[start] !== MAGIC_0 || buffer[start + 1] !== MAGIC_1) {
    if (available <= 0) return NEED_MORE;
    return resyncToMagic(buffer, start, end, MAGIC_0, MAGIC_1);
  }
  if (available < BINARY_HEADER_SIZE) return NEED_MORE;
  const length = u32(buffer, start + 11);
  const frameSize = BINARY_FRAME_OVERHEAD + length;
  if (frameSize > maxMessageSize) {
    return drop(frameSize, "too_large", `frame of ${frameSize} bytes exceeds ${maxMessageSize}`);
  }
  if (available < frameSize) return NEED_MORE;
  const dataStart = start + BINARY_HEADER_SIZE;
  const crcAt = dataStart + length;
  let data: Uint8Array;
  if (length < NATIVE_THRESHOLD) {
    if (crc32Table(buffer, start, crcAt) !== u32(buffer, crcAt)) {
      return drop(frameSize, "checksum", "CRC-32 mismatch");
    }
    data = copyBytes(buffer, dataStart, crcAt);
  } else {
    // The data is copied first, then checked where it now is: zlib.crc32 reads the copy
    // itself, no view over the buffer is made (one CRC pass, one copy).
    data = copyBytes(buffer, dataStart, crcAt);
    if (crc32Continue(data, crc32Table(buffer, start, dataStart)) !== u32(buffer, crcAt)) {
      return drop(frameSize, "checksum", "CRC-32 mismatch");
    }
  }
  return {
    kind: "message",
    message: {
      version: buffer[start + 2] as number,
      type: u32(buffer, start + 3),
      sequence: u32(buffer, start + 7),
      data,
    },
    consumed: frameSize,
  };
}
