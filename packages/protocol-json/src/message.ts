/**
 * One message of the JSON protocol.
 *
 * **`timestamp` is a `bigint`.** It holds int64 nanoseconds since the Unix epoch, about
 * 1.7e18 today: far above 2^53, so a JavaScript `number` (and a plain `JSON.parse`) would
 * round it. The decoder recovers the exact digits from the frame and the encoder writes the
 * exact digits, so a timestamp survives a round trip through Go and Taurus unchanged.
 */
export interface JsonMessage {
  /** The application's message type: a u32, non-zero on the wire. */
  type: number;
  /** The sequence number: a u32, non-zero on the wire. */
  sequence: number;
  /**
   * The payload: a plain JSON object, or `null`. Arrays, strings and numbers are refused,
   * because the Go peer decodes `data` into `map[string]any` and drops any other frame.
   * Nested values go through `JSON.stringify`/`JSON.parse` unchanged, with their usual
   * limits (numbers inside `data` are doubles; `undefined` members vanish).
   */
  data: Record<string, unknown> | null;
  /**
   * Nanoseconds since the Unix epoch, an int64 kept exact as a `bigint`. Non-zero on the
   * wire; `encode` replaces `0n` by the current time (millisecond precision:
   * `BigInt(Date.now()) * 1_000_000n`), as the Go encoder does with its clock.
   */
  timestamp: bigint;
}

/** Options of {@link createJsonProtocol}. */
export interface JsonProtocolOptions {
  /**
   * The largest whole frame (6 bytes of header + body) accepted by `decode` and produced by
   * `encode`, in bytes. Must be a safe integer of at least 6.
   *
   * @defaultValue 10485760 (10 MiB, {@link DEFAULT_JSON_MAX_MESSAGE_SIZE}), the Go protocol default
   */
  maxMessageSize?: number;
  /**
   * The deepest nesting of objects and arrays a body may have (the body itself is depth 1).
   * A deeper body is dropped as `malformed_body` after one linear scan of its bytes, before
   * `JSON.parse` (which would spend time and stack on it). An integer >= 1, or `Infinity`.
   *
   * @defaultValue 64 (`DEFAULT_JSON_MAX_DEPTH`)
   */
  maxDepth?: number;
}
