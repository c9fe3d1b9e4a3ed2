import {
  type Control,
  type DecodeResult,
  type Decoder,
  type DecoderOptions,
  type Keepalive,
  type Protocol,
  TaurusError,
} from "@taurus/core-conn/codec";
import { DEFAULT_JSON_MAX_MESSAGE_SIZE, JSON_HEADER_SIZE } from "./constants";
import { jsonControl } from "./control";
import { decodeJson } from "./decode";
import { DEFAULT_JSON_MAX_DEPTH } from "./depth";
import { encodeJson } from "./encode";
import { JsonFrameWriter } from "./encoder";
import { jsonKeepalive } from "./keepalive";
import type { JsonMessage, JsonProtocolOptions } from "./message";

/**
 * The JSON protocol: a `Protocol` of `@taurus/core-conn` (contract v2) with every optional
 * part present. Frames are length-prefixed behind a magic, so decoding keeps no state: every
 * connection of one limit shares one decoder, and `decode` decodes one frame directly.
 */
export interface JsonProtocol extends Protocol<JsonMessage> {
  /**
   * Encodes one message to the bytes of one frame, in a buffer of its own.
   *
   * @throws `TaurusError` `INVALID_MESSAGE` for a message the format cannot hold,
   * `MESSAGE_TOO_LARGE` for a frame over `maxMessageSize`
   */
  encode(message: JsonMessage): Uint8Array;
  /**
   * The exact size of the frame of `message`, after checking it as `encode` does. The
   * serialised body is kept for an `encodeInto` of the same, unchanged message that follows.
   *
   * @throws `TaurusError` as `encode`
   */
  encodedLength(message: JsonMessage): number;
  /**
   * Writes the frame of `message` into `target` at `offset`: the bytes `encode` returns
   * (`timestamp` `0n` becomes the current time, as with `encode`).
   *
   * @returns the number of bytes written
   * @throws `TaurusError` as `encode`; a `RangeError` when `target` is too small
   */
  encodeInto(message: JsonMessage, target: Buffer, offset: number): number;
  /**
   * The decoder of a connection; it keeps no state, and is shared by every connection
   * with the same limit (the smaller of `options.maxMessageSize` and the protocol's).
   */
  createDecoder(options: DecoderOptions): Decoder<JsonMessage>;
  /** The ping and pong of this format (type 4294967295); always present. */
  readonly keepalive: Keepalive<JsonMessage>;
  /** The control frames of this format (type 4294967295, see {@link jsonControl}); always present. */
  readonly control: Control<JsonMessage>;
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
  ): DecodeResult<JsonMessage>;
}

/**
 * Creates the JSON protocol, wire-compatible with the Go `taurus-pro-tcp` JSON protocol:
 * magic `FE FF`, u32 body length, then a UTF-8 JSON body
 * `{"type":..,"sequence":..,"data":..,"timestamp":..}`.
 *
 * `timestamp` is a `bigint` of nanoseconds, kept exact (a `number` would round it).
 * The returned object may be shared by any number of connections (its decoder keeps no
 * state). Decoding never throws. A decoder applies the smaller of the connection's limit
 * and the protocol's own (for `decode`, a missing or non-numeric argument means the
 * protocol's own). `encodedLength` and `encodeInto` let a connection write frames straight
 * into its outgoing batch.
 *
 * Bodies nested deeper than `maxDepth` are dropped before they are parsed. The protocol has a
 * `keepalive` (type 4294967295, see {@link jsonKeepalive}).
 *
 * @param options - `maxMessageSize`: the largest whole frame in bytes
 * (default {@link DEFAULT_JSON_MAX_MESSAGE_SIZE}, 10 MiB); `maxDepth`: the deepest nesting of a
 * body (default {@link DEFAULT_JSON_MAX_DEPTH}, 64)
 * @returns a {@link JsonProtocol} named `"json"`
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
export function createJsonProtocol(options: JsonProtocolOptions = {}): JsonProtocol {
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
  // A connection may impose a lower limit than the protocol's own; never a higher one.
  // biome-ignore lint/complexity/useMathMinMax: Math.min would make a missing limit NaN (no limit)
  const limitOf = (limit: number) => (limit < maxMessageSize ? limit : maxMessageSize);
  const writer = new JsonFrameWriter(maxMessageSize);
  let shared: Decoder<JsonMessage> | undefined;
  let sharedLimit = -1;
  return {
    name: "json",
    maxMessageSize,
    encode: (message) => encodeJson(message, maxMessageSize),
    encodedLength: (message) => writer.encodedLength(message),
    encodeInto: (message, target, offset) => writer.encodeInto(message, target, offset),
    createDecoder(decoderOptions) {
      const limit = limitOf(decoderOptions.maxMessageSize);
      if (shared === undefined || sharedLimit !== limit) {
        sharedLimit = limit;
        shared = {
          decode: (buffer, start, end) => decodeJson(buffer, start, end, limit, maxDepth),
        };
      }
      return shared;
    },
    decode: (buffer, start, end, limit) => decodeJson(buffer, start, end, limitOf(limit), maxDepth),
    keepalive: jsonKeepalive,
    control: jsonControl,
  };
}
