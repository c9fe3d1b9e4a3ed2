import {
  type Control,
  type DecodeResult,
  type Decoder,
  type DecoderOptions,
  type Keepalive,
  type Protocol,
  TaurusError,
} from "@taurus/core-conn/codec";
import { BINARY_FRAME_OVERHEAD, DEFAULT_BINARY_MAX_MESSAGE_SIZE } from "./constants";
import { binaryControl } from "./control";
import { decodeBinary } from "./decode";
import { binaryFrameSize, encodeBinary, writeBinaryFrame } from "./encode";
import { binaryKeepalive } from "./keepalive";
import type { BinaryMessage, BinaryProtocolOptions } from "./message";

/**
 * The binary protocol: a `Protocol` of `@taurus/core-conn` (contract v2) with every optional
 * part present. Frames are length-prefixed behind a magic, so decoding keeps no state: every
 * connection of one limit shares one decoder, and `decode` decodes one frame directly.
 */
export interface BinaryProtocol extends Protocol<BinaryMessage> {
  /**
   * Encodes one message to the bytes of one frame, in a buffer of its own.
   *
   * @throws `TaurusError` `INVALID_MESSAGE` for a message the format cannot hold,
   * `MESSAGE_TOO_LARGE` for a frame over `maxMessageSize`
   */
  encode(message: BinaryMessage): Uint8Array;
  /**
   * The exact size of the frame of `message` (19 + data length), after checking it as
   * `encode` does.
   *
   * @throws `TaurusError` as `encode`
   */
  encodedLength(message: BinaryMessage): number;
  /**
   * Writes the frame of `message` into `target` at `offset`: the bytes `encode` returns.
   *
   * @returns the number of bytes written
   * @throws `TaurusError` as `encode`; a `RangeError` when `target` is too small
   */
  encodeInto(message: BinaryMessage, target: Buffer, offset: number): number;
  /**
   * The decoder of a connection; it keeps no state, and is shared by every connection
   * with the same limit (the smaller of `options.maxMessageSize` and the protocol's).
   */
  createDecoder(options: DecoderOptions): Decoder<BinaryMessage>;
  /** The ping and pong of this format (type 4294967295); always present. */
  readonly keepalive: Keepalive<BinaryMessage>;
  /** The control frames of this format (type 4294967295, see {@link binaryControl}); always present. */
  readonly control: Control<BinaryMessage>;
  /**
   * Decodes the first frame of `buffer[start, end)` (contract v1 shape, kept for direct
   * use: this format needs no state between calls). Never throws.
   *
   * @param maxMessageSize - the limit in force; the protocol's own applies when it is lower
   */
  decode(
    buffer: Buffer,
    start: number,
    end: number,
    maxMessageSize: number,
  ): DecodeResult<BinaryMessage>;
}

/**
 * Creates the binary protocol, wire-compatible with the Go `taurus-pro-tcp` binary protocol:
 * magic `CA FE`, version u8, type u32, sequence u32, length u32, data, CRC-32/IEEE u32.
 *
 * The returned object may be shared by any number of connections (its decoder keeps no
 * state). Decoding never throws; decoded `data` is a copy, independent of the connection's
 * buffer. A decoder applies the smaller of the connection's limit and the protocol's own
 * (for `decode`, a missing or non-numeric argument means the protocol's own).
 * `encodedLength` and `encodeInto` let a connection write frames straight into its
 * outgoing batch.
 *
 * The protocol has a `keepalive` (type 4294967295, see {@link binaryKeepalive}).
 *
 * @param options - `maxMessageSize`: the largest whole frame in bytes
 * (default {@link DEFAULT_BINARY_MAX_MESSAGE_SIZE}, 10 MiB)
 * @returns a {@link BinaryProtocol} named `"binary"`
 * @throws `TaurusError` `INVALID_OPTION` when `maxMessageSize` is not a safe integer
 * of at least 19 (the size of a frame with empty data)
 *
 * @example
 * ```ts
 * const binary = createBinaryProtocol();
 * const frame = binary.encode({ version: 1, type: 2, sequence: 3, data: Buffer.from("hello") });
 * const result = binary.decode(Buffer.from(frame), 0, frame.length, binary.maxMessageSize);
 * if (result.kind === "message") console.log(result.message.type); // 2
 * ```
 */
export function createBinaryProtocol(options: BinaryProtocolOptions = {}): BinaryProtocol {
  if (typeof options !== "object" || options === null) {
    throw new TaurusError("INVALID_OPTION", "binary protocol: options must be an object");
  }
  const maxMessageSize = options.maxMessageSize ?? DEFAULT_BINARY_MAX_MESSAGE_SIZE;
  if (!Number.isSafeInteger(maxMessageSize) || maxMessageSize < BINARY_FRAME_OVERHEAD) {
    throw new TaurusError(
      "INVALID_OPTION",
      `binary protocol: maxMessageSize must be an integer >= ${BINARY_FRAME_OVERHEAD}, got ${String(maxMessageSize)}`,
    );
  }
  // A connection may impose a lower limit than the protocol's own; never a higher one.
  // biome-ignore lint/complexity/useMathMinMax: Math.min would make a missing limit NaN (no limit)
  const limitOf = (limit: number) => (limit < maxMessageSize ? limit : maxMessageSize);
  let shared: Decoder<BinaryMessage> | undefined;
  let sharedLimit = -1;
  return {
    name: "binary",
    maxMessageSize,
    encode: (message) => encodeBinary(message, maxMessageSize),
    encodedLength: (message) => binaryFrameSize(message, maxMessageSize),
    encodeInto(message, target, offset) {
      binaryFrameSize(message, maxMessageSize);
      return writeBinaryFrame(message, target, offset);
    },
    createDecoder(decoderOptions) {
      const limit = limitOf(decoderOptions.maxMessageSize);
      if (shared === undefined || sharedLimit !== limit) {
        sharedLimit = limit;
        shared = { decode: (buffer, start, end) => decodeBinary(buffer, start, end, limit) };
      }
      return shared;
    },
    decode: (buffer, start, end, limit) => decodeBinary(buffer, start, end, limitOf(limit)),
    keepalive: binaryKeepalive,
    control: binaryControl,
  };
}
