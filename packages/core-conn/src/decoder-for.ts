import { TaurusError } from "./errors";
import type { Decoder, Protocol } from "./protocol";

/**
 * The decoder a connection would use for `protocol`: a new one from
 * `createDecoder` (contract v2), or the stateless `decode` of a contract v1
 * protocol adapted to the {@link Decoder} shape. For tools and wrappers that
 * decode bytes themselves (a sniffer, a CLI, a test) whatever contract the
 * protocol was written against.
 *
 * @param protocol - any protocol
 * @param maxMessageSize - the limit in force, at most the protocol's own
 *   `maxMessageSize`
 *   @defaultValue the protocol's own `maxMessageSize`
 * @returns a decoder for one stream
 * @throws {@link TaurusError} `INVALID_OPTION` when the protocol has neither
 *   `createDecoder` nor `decode`, or `createDecoder` returns no decoder
 */
export function decoderFor<M>(
  protocol: Protocol<M>,
  maxMessageSize: number = protocol.maxMessageSize,
): Decoder<M> {
  if (typeof protocol.createDecoder === "function") {
    const decoder = protocol.createDecoder({ maxMessageSize });
    if (typeof decoder?.decode !== "function") {
      throw new TaurusError(
        "INVALID_OPTION",
        `protocol ${protocol.name}: createDecoder() must return an object with a decode() method`,
      );
    }
    return decoder;
  }
  const decode = protocol.decode;
  if (typeof decode !== "function") {
    throw new TaurusError(
      "INVALID_OPTION",
      `protocol ${protocol.name} has neither createDecoder() nor decode()`,
    );
  }
  return {
    decode: (buffer, start, end) => decode.call(protocol, buffer, start, end, maxMessageSize),
  };
}
