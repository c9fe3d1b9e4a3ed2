import { type Protocol, TaurusError } from "@taurus/core-conn";
import { BINARY_FRAME_OVERHEAD, DEFAULT_BINARY_MAX_MESSAGE_SIZE } from "./constants";
import { decodeBinary } from "./decode";
import { encodeBinary } from "./encode";
import { binaryKeepalive } from "./keepalive";
import type { BinaryMessage, BinaryProtocolOptions } from "./message";

/**
 * Creates the binary protocol, wire-compatible with the Go `taurus-pro-tcp` binary protocol:
 * magic `CA FE`, version u8, type u32, sequence u32, length u32, data, CRC-32/IEEE u32.
 *
 * The returned object is stateless and may be shared by any number of connections.
 * `decode` never throws; decoded `data` is a copy, independent of the connection's buffer.
 * `decode` applies the smaller of its `maxMessageSize` argument (the connection's limit) and
 * the protocol's own; a missing or non-numeric argument means the protocol's own.
 *
 * The protocol has a `keepalive` (type 4294967295, see {@link binaryKeepalive}).
 *
 * @param options - `maxMessageSize`: the largest whole frame in bytes
 * (default {@link DEFAULT_BINARY_MAX_MESSAGE_SIZE}, 10 MiB)
 * @returns a `Protocol<BinaryMessage>` named `"binary"`
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
export function createBinaryProtocol(options: BinaryProtocolOptions = {}): Protocol<BinaryMessage> {
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
  return {
    name: "binary",
    maxMessageSize,
    encode: (message) => encodeBinary(message, maxMessageSize),
    // A connection may impose a lower limit than the protocol's own; never a higher one.
    decode: (buffer, start, end, limit) =>
      // biome-ignore lint/complexity/useMathMinMax: Math.min would make a missing limit NaN (no limit)
      decodeBinary(buffer, start, end, limit < maxMessageSize ? limit : maxMessageSize),
    keepalive: binaryKeepalive,
  };
}
