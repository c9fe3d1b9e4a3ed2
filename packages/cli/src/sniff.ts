// Telling which protocol a peer speaks from the first bytes of what it sends.
import { type DecodeResult, decoderFor, type Protocol } from "@taurus/core-conn";

/** What the first bytes of a stream say the peer speaks. */
export type Spoken = "json" | "binary" | "http" | "unknown";

/** FE FF is a JSON frame, CA FE a binary one; "HTTP/" an HTTP server (say, the metrics port). */
export function spokenBy(bytes: Uint8Array): Spoken {
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return "json";
  if (bytes[0] === 0xca && bytes[1] === 0xfe) return "binary";
  if (Buffer.from(bytes.subarray(0, 5)).toString("latin1") === "HTTP/") return "http";
  return "unknown";
}

/**
 * `protocol`, reporting once through `onForeign` when it has to drop bytes that start
 * like another protocol's frame: the port speaks something else. Everything else of the
 * protocol (encoders, keepalive) is kept as it is.
 */
export function sniffing<M>(
  protocol: Protocol<M>,
  onForeign: (spoken: Exclude<Spoken, "unknown">) => void,
): Protocol<M> {
  let reported = false;
  const { decode: _v1, ...rest } = protocol;
  return {
    ...rest,
    createDecoder(options) {
      const decoder = decoderFor(protocol, options.maxMessageSize);
      return {
        decode(buffer, start, end): DecodeResult<M> {
          const result = decoder.decode(buffer, start, end);
          if ((result.kind === "drop" || result.kind === "fatal") && !reported) {
            const spoken = spokenBy(buffer.subarray(start, Math.min(end, start + 5)));
            if (spoken !== "unknown" && spoken !== protocol.name) {
              reported = true;
              onForeign(spoken);
            }
          }
          return result;
        },
      };
    },
  };
}
