/**
 * The length of the frame that starts at `offset` of `bytes`, read from its
 * header, or `undefined` when the header is not there or not recognised.
 * The transport uses it to send each frame in a WebSocket message of its own.
 */
export type FrameLength = (bytes: Uint8Array, offset: number) => number | undefined;

function u32(bytes: Uint8Array, i: number): number {
  return (
    (bytes[i] as number) * 0x1000000 +
    (((bytes[i + 1] as number) << 16) | ((bytes[i + 2] as number) << 8) | (bytes[i + 3] as number))
  );
}

/** A frame of `@taurus/protocol-json`: magic FE FF, u32 body length, body (6 + length). */
export const jsonFrameLength: FrameLength = (bytes, offset) =>
  bytes.length - offset >= 6 && bytes[offset] === 0xfe && bytes[offset + 1] === 0xff
    ? 6 + u32(bytes, offset + 2)
    : undefined;

/** A frame of `@taurus/protocol-binary`: magic CA FE, 15-byte header, data, CRC (19 + length). */
export const binaryFrameLength: FrameLength = (bytes, offset) =>
  bytes.length - offset >= 15 && bytes[offset] === 0xca && bytes[offset + 1] === 0xfe
    ? 19 + u32(bytes, offset + 11)
    : undefined;

/** The frame reader for a protocol of this name, when Taurus knows its header. */
export function frameLengthFor(protocolName: string): FrameLength | undefined {
  if (protocolName === "json") return jsonFrameLength;
  if (protocolName === "binary") return binaryFrameLength;
  return undefined;
}

/**
 * Cuts `chunk` (whole frames, as a `Connection` writes them) into its frames,
 * as views. Without a reader, or where a header is not recognised, the rest
 * of the chunk is one piece.
 */
export function splitFrames(chunk: Uint8Array, frameLength: FrameLength | undefined): Uint8Array[] {
  if (!frameLength) return [chunk];
  const pieces: Uint8Array[] = [];
  let offset = 0;
  while (offset < chunk.length) {
    const length = frameLength(chunk, offset);
    if (length === undefined || offset + length > chunk.length) {
      pieces.push(chunk.subarray(offset));
      break;
    }
    pieces.push(chunk.subarray(offset, offset + length));
    offset += length;
  }
  return pieces;
}
