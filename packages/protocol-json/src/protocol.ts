import { type Protocol, TaurusError } from "@taurus/core-conn";
import { DEFAULT_JSON_MAX_MESSAGE_SIZE, JSON_HEADER_SIZE } from "./constants";
import { decodeJson } from "./decode";
import { DEFAULT_JSON_MAX_DEPTH } from "./depth";
import { encodeJson } from "./encode";
import { jsonKeepalive } from "./keepalive";
import type { JsonMessage, JsonProtocolOptions } from "./message";

/**
 * Creates the JSON protocol, wire-compatible with the Go `taurus-pro-tcp` JSON protocol:
 * magic `FE FF`, u32 body length, then a UTF-8 JSON body
 * `{"type":..,"sequence":..,"data":..,"timestamp":..}`.
 *
 * `timestamp` is a `bigint` of nanoseconds, kept exact (a `number` would round it).
 * The returned object is stateless and may be shared by any number of connections.
 * `decode` never throws. It applies the smaller of its `maxMessageSize` argument (the
 * connection's limit) and the protocol's own; a missing or non-numeric argument means the
 * protocol's own.
 *
 * Bodies nested deeper than `maxDepth` are dropped before they are parsed. The protocol has a
 * `keepalive` (type 4294967295, see {@link jsonKeepalive}).
 *
 * @param options - `maxMessageSize`: the largest whole frame in bytes
 * (default {@link DEFAULT_JSON_MAX_MESSAGE_SIZE}, 10 MiB); `maxDepth`: the deepest nesting of a
 * body (default {@link DEFAULT_JSON_MAX_DEPTH}, 64)
 * @returns a `Protocol<JsonMessage>` named `"json"`
 * @throws `TaurusError` `INVALID_OPTION` when `maxMessageSize` is not a safe integer
 * of at least 6 (the size of the header), or `maxDepth` is not an integer >= 1 nor `Infinity`
 *
 * @example
 * ```ts
 * const json = createJsonProtocol();
 * const frame = json.encode({ type: 2, sequence: 1, data: { text: "hi" }, timestamp: 0n });
 * const result = json.decode(Buffer.from(frame), 0, frame.length, json.maxMessageSize);
 * if (result.kind === "message") console.log(result.message.timestamp); // e.g. 1732412345123000000n
 * ```
 */
export function createJsonProtocol(options: JsonProtocolOptions = {}): Protocol<JsonMessage> {
  if (typeof options !== "object" || options === null) {
    throw new TaurusError("INVALID_OPTION", "json protocol: options must be an object");
  }
  const maxMessageSize = options.maxMessageSize ?? DEFAULT_JSON_MAX_MESSAGE_SIZE;
  if (!Number.isSafeInteger(maxMessageSize) || maxMessageSize < JSON_HEADER_SIZE) {
    throw new TaurusError(
      "INVALID_OPTION",
      `json protocol: maxMessageSize must be an integer >= ${JSON_HEADER_SIZE}, got ${String(maxMessageSize)}`,
    );
  }
  const maxDepth = options.maxDepth ?? DEFAULT_JSON_MAX_DEPTH;
  if (maxDepth !== Number.POSITIVE_INFINITY && (!Number.isSafeInteger(maxDepth) || maxDepth < 1)) {
    throw new TaurusError(
      "INVALID_OPTION",
      `json protocol: maxDepth must be an integer >= 1 or Infinity, got ${String(maxDepth)}`,
    );
  }
  return {
    name: "json",
    maxMessageSize,
    encode: (message) => encodeJson(message, maxMessageSize),
    // A connection may impose a lower limit than the protocol's own; never a higher one.
    decode: (buffer, start, end, limit) =>
      // biome-ignore lint/complexity/useMathMinMax: Math.min would make a missing limit NaN (no limit)
      decodeJson(buffer, start, end, limit < maxMessageSize ? limit : maxMessageSize, maxDepth),
    keepalive: jsonKeepalive,
  };
}
