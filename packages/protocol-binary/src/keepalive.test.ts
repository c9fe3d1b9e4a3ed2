import { describe, expect, it } from "vitest";
import { BINARY_KEEPALIVE_TYPE, binaryKeepalive } from "./keepalive";
import { createBinaryProtocol } from "./protocol";

describe("binary keepalive", () => {
  it("round-trips a ping and a pong and tells them from application messages", () => {
    const binary = createBinaryProtocol();
    expect(binary.keepalive).toBe(binaryKeepalive);
    for (const [message, kind] of [
      [binaryKeepalive.ping, "ping"],
      [binaryKeepalive.pong, "pong"],
    ] as const) {
      const frame = Buffer.from(binary.encode(message));
      const r = binary.decode(frame, 0, frame.length, binary.maxMessageSize);
      if (r.kind !== "message") throw new Error(r.kind);
      expect(binaryKeepalive.kind(r.message)).toBe(kind);
    }
    const data = Buffer.from("x");
    expect(binaryKeepalive.kind({ version: 1, type: 2, sequence: 1, data })).toBeUndefined();
    expect(
      binaryKeepalive.kind({ version: 1, type: BINARY_KEEPALIVE_TYPE, sequence: 1, data }),
    ).toBeUndefined();
    expect(
      binaryKeepalive.kind({
        version: 1,
        type: BINARY_KEEPALIVE_TYPE,
        sequence: 3,
        data: new Uint8Array(0),
      }),
    ).toBeUndefined();
  });
});
