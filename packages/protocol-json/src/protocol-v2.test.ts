// Contract v2 parts of the JSON protocol: shared decoders, and encodeInto after encodedLength.
import { describe, expect, it } from "vitest";
import type { JsonMessage } from "./message";
import { createJsonProtocol } from "./protocol";

const msg = (over: Partial<JsonMessage> = {}): JsonMessage => ({
  type: 2,
  sequence: 7,
  data: { text: "h\u00e9llo" },
  timestamp: 1732412345123456789n,
  ...over,
});

describe("json protocol, contract v2", () => {
  it("shares one decoder per limit, applying the smaller of the two limits", () => {
    const json = createJsonProtocol({ maxMessageSize: 100 });
    const a = json.createDecoder({ maxMessageSize: 50 }); // the frame below is longer
    expect(json.createDecoder({ maxMessageSize: 50 })).toBe(a);
    const big = Buffer.from(json.encode(msg({ data: { text: "x" } })));
    expect(a.decode(big, 0, big.length)).toMatchObject({ kind: "drop", reason: "too_large" });
    expect(big.length).toBeGreaterThan(50);
    const wide = json.createDecoder({ maxMessageSize: 1_000_000 }); // the protocol's 100 apply
    expect(wide.decode(big, 0, big.length)).toMatchObject({ kind: "message" });
  });

  it("writes with encodeInto exactly what encode returns, at any offset", () => {
    const json = createJsonProtocol();
    const m = msg();
    const frame = Buffer.from(json.encode(m));
    const target = Buffer.alloc(frame.length + 10, 0xee);
    expect(json.encodedLength(m)).toBe(frame.length);
    expect(json.encodeInto(m, target, 3)).toBe(frame.length);
    expect(target.subarray(3, 3 + frame.length)).toEqual(frame);
    expect(target[2]).toBe(0xee);
    expect(target[3 + frame.length]).toBe(0xee);
  });

  it("serialises again when the message changed after encodedLength", () => {
    const json = createJsonProtocol();
    const m = msg();
    json.encodedLength(m);
    m.sequence = 8;
    const target = Buffer.alloc(200);
    const n = json.encodeInto(m, target, 0);
    expect(target.subarray(0, n)).toEqual(Buffer.from(json.encode(m)));
  });

  it("refuses in encodedLength what encode refuses", () => {
    const json = createJsonProtocol({ maxMessageSize: 64 });
    expect(() => json.encodedLength(msg({ type: 0 }))).toThrow(
      expect.objectContaining({ code: "INVALID_MESSAGE" }),
    );
    expect(() => json.encodedLength(msg({ data: { big: "x".repeat(100) } }))).toThrow(
      expect.objectContaining({ code: "MESSAGE_TOO_LARGE" }),
    );
  });
});
