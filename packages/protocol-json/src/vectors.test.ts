import { readFileSync } from "node:fs";
import type { DropReason } from "@taurus/core-conn";
import { describe, expect, it } from "vitest";
import type { JsonMessage } from "./message";
import { createJsonProtocol, type JsonProtocol } from "./protocol";

interface VectorMessage {
  type: number;
  sequence: number;
  data: Record<string, unknown> | null;
  /** Decimal digits: the values exceed 2^53. */
  timestamp: string;
}
interface StreamEvent {
  event: "message" | "error";
  consumed: number;
  error?: string;
  message?: VectorMessage;
}
interface Vectors {
  maxMessageSize: Record<string, number>;
  json: { name: string; hex: string; message: VectorMessage }[];
  jsonStreams: { name: string; hex: string; events: StreamEvent[]; leftover: number }[];
}

const vectors = JSON.parse(
  readFileSync(new URL("../../../fixtures/wire/vectors.json", import.meta.url), "utf8"),
) as Vectors;

function goReason(error: string): DropReason {
  if (error === "invalid format") return "invalid_format";
  if (error === "message too large") return "too_large";
  if (error.startsWith("unmarshal json failed")) return "malformed_body";
  throw new Error(`unmapped Go error: ${error}`);
}

const fromVector = (m: VectorMessage): JsonMessage => ({ ...m, timestamp: BigInt(m.timestamp) });

type Event =
  | { event: "message"; consumed: number; message: JsonMessage }
  | { event: "error"; consumed: number; reason: DropReason };

/** Decodes `bytes` in a loop, as a connection would, until the protocol needs more. */
function decodeAll(protocol: JsonProtocol, bytes: Buffer) {
  // The decoder a connection uses (contract v2).
  const decoder = protocol.createDecoder({ maxMessageSize: protocol.maxMessageSize });
  const events: Event[] = [];
  let start = 0;
  while (start < bytes.length) {
    const result = decoder.decode(bytes, start, bytes.length);
    if (result.kind === "need_more") break;
    if (result.kind === "fatal") throw new Error(`unexpected fatal result: ${result.reason}`);
    expect(result.consumed).toBeGreaterThanOrEqual(1);
    events.push(
      result.kind === "message"
        ? { event: "message", consumed: result.consumed, message: result.message }
        : { event: "error", consumed: result.consumed, reason: result.reason },
    );
    start += result.consumed;
  }
  return { events, leftover: Math.max(0, bytes.length - start) };
}

describe("json vectors (frames produced by the Go original)", () => {
  const json = createJsonProtocol();

  for (const vector of vectors.json) {
    const bytes = Buffer.from(vector.hex, "hex");
    const expected = fromVector(vector.message);

    it(`decodes ${vector.name} with an exact timestamp`, () => {
      const result = json.decode(bytes, 0, bytes.length, json.maxMessageSize);
      expect(result).toEqual({ kind: "message", consumed: bytes.length, message: expected });
      if (result.kind === "message") {
        expect(typeof result.message.timestamp).toBe("bigint");
        expect(result.message.timestamp.toString()).toBe(vector.message.timestamp);
      }
    });

    it(`re-encodes ${vector.name} to a frame that decodes to the same message`, () => {
      const frame = Buffer.from(json.encode(expected));
      expect(json.decode(frame, 0, frame.length, json.maxMessageSize)).toEqual({
        kind: "message",
        consumed: frame.length,
        message: expected,
      });
      // Taurus writes the fields in Go's order; only `data`'s key order and escapes may differ.
      expect(frame.subarray(6).toString()).toMatch(
        /^\{"type":\d+,"sequence":\d+,"data":.*,"timestamp":\d+\}$/,
      );
    });
  }
});

describe("json streams (events recorded from the Go original)", () => {
  for (const stream of vectors.jsonStreams) {
    it(`reproduces ${stream.name}`, () => {
      const json = createJsonProtocol({ maxMessageSize: vectors.maxMessageSize.default });
      const { events, leftover } = decodeAll(json, Buffer.from(stream.hex, "hex"));
      const expected = stream.events.map(
        (e): Event =>
          e.event === "message"
            ? {
                event: "message",
                consumed: e.consumed,
                message: fromVector(e.message as VectorMessage),
              }
            : { event: "error", consumed: e.consumed, reason: goReason(e.error ?? "") },
      );
      expect(events).toEqual(expected);
      expect(leftover).toBe(stream.leftover);
    });
  }

  it("drops all garbage when no magic is present (a deliberate difference from Go)", () => {
    // FORMAT.md, "How the original decodes a stream": with no magic anywhere the Go original
    // keeps buffering until its buffer overflows. Taurus keeps at most the last byte (half a
    // magic, 0xFE) and drops the rest, reporting it. jsonStreams has no such vector; this
    // mirrors binaryStreams' no-magic-at-all.
    const json = createJsonProtocol();
    expect(decodeAll(json, Buffer.from("0102030405", "hex"))).toEqual({
      events: [{ event: "error", consumed: 5, reason: "invalid_format" }],
      leftover: 0,
    });
    expect(decodeAll(json, Buffer.from("01020304fe", "hex"))).toEqual({
      events: [{ event: "error", consumed: 4, reason: "invalid_format" }],
      leftover: 1,
    });
  });
});
