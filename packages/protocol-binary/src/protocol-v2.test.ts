// Contract v2 parts of the binary protocol: shared decoders, encodeInto, copied data.
import { describe, expect, it } from "vitest";
import type { BinaryMessage } from "./message";
import { createBinaryProtocol } from "./protocol";

const msg = (data: Uint8Array): BinaryMessage => ({ version: 1, type: 2, sequence: 3, data });

describe("binary protocol, contract v2", () => {
  it("shares one decoder per limit, applying the smaller of the two limits", () => {
    const binary = createBinaryProtocol({ maxMessageSize: 100 });
    const a = binary.createDecoder({ maxMessageSize: 50 });
    expect(binary.createDecoder({ maxMessageSize: 50 })).toBe(a);
    const big = Buffer.from(binary.encode(msg(new Uint8Array(60))));
    expect(a.decode(big, 0, big.length)).toMatchObject({ kind: "drop", reason: "too_large" });
    const wide = binary.createDecoder({ maxMessageSize: 1_000_000 });
    expect(wide.decode(big, 0, big.length)).toMatchObject({ kind: "message" });
  });

  it("writes with encodeInto exactly what encode returns, at any offset", () => {
    const binary = createBinaryProtocol();
    for (const size of [0, 5, 300]) {
      const m = msg(new Uint8Array(size).map((_, i) => i));
      const frame = Buffer.from(binary.encode(m));
      const target = Buffer.alloc(frame.length + 10, 0xee);
      expect(binary.encodedLength(m)).toBe(frame.length);
      expect(binary.encodeInto(m, target, 5)).toBe(frame.length);
      expect(target.subarray(5, 5 + frame.length)).toEqual(frame);
      expect(target[4]).toBe(0xee);
      expect(target[5 + frame.length]).toBe(0xee);
    }
  });

  it("decodes data into memory of its own", () => {
    const binary = createBinaryProtocol();
    const frame = Buffer.from(binary.encode(msg(Uint8Array.of(1, 2, 3))));
    const r = binary.createDecoder({ maxMessageSize: 1000 }).decode(frame, 0, frame.length);
    if (r.kind !== "message") throw new Error(`expected a message, got ${r.kind}`);
    frame.fill(0);
    expect(r.message.data).toEqual(Uint8Array.of(1, 2, 3));
    expect(r.message.data.byteOffset).toBe(0);
    expect(r.message.data.buffer.byteLength).toBe(3);
  });
});
