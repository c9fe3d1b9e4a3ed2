// Telling which protocol the server speaks from the first bytes it sends.
import type { DecodeResult, Protocol } from "@taurus/core-conn";

/** What the first bytes of a stream say the peer speaks. */
export type Spoken = "json" | "binary" | "http";

/** FE FF is a JSON frame, CA FE a binary one; "HTTP/" an HTTP server (the metrics port). */
export function spokenBy(bytes: Uint8Array): Spoken | undefined {
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return "json";
  if (bytes[0] === 0xca && bytes[1] === 0xfe) return "binary";
  if (Buffer.from(bytes.subarray(0, 5)).toString("latin1") === "HTTP/") return "http";
  return undefined;
}

/** `protocol`, calling `onForeign` once when it drops bytes that start like another protocol. */
export function sniffing<M>(
  protocol: Protocol<M>,
  onForeign: (spoken: Spoken) => void,
): Protocol<M> {
  let reported = false;
  return {
    name: protocol.name,
    maxMessageSize: protocol.maxMessageSize,
    encode: (message) => protocol.encode(message),
    decode(buffer, start, end, max): DecodeResult<M> {
      const result = protocol.decode(buffer, start, end, max);
      if (result.kind === "drop" && !reported) {
        const spoken = spokenBy(buffer.subarray(start, Math.min(end, start + 5)));
        if (spoken && spoken !== protocol.name) {
          reported = true;
          onForeign(spoken);
        }
      }
      return result;
    },
  };
}
