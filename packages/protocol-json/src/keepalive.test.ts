import { describe, expect, it } from "vitest";
import { JSON_KEEPALIVE_TYPE, jsonKeepalive } from "./keepalive";
import { createJsonProtocol } from "./protocol";

describe("JSON keepalive", () => {
  it("round-trips a ping and a pong and tells them from application messages", () => {
    const json = createJsonProtocol();
    expect(json.keepalive).toBe(jsonKeepalive);
    for (const [message, kind] of [
      [jsonKeepalive.ping, "ping"],
      [jsonKeepalive.pong, "pong"],
    ] as const) {
      const frame = Buffer.from(json.encode(message));
      const r = json.decode(frame, 0, frame.length, json.maxMessageSize);
      if (r.kind !== "message") throw new Error(r.kind);
      expect(jsonKeepalive.kind(r.message)).toBe(kind);
    }
    expect(jsonKeepalive.kind({ type: 3, sequence: 1, data: null, timestamp: 1n })).toBeUndefined();
    expect(
      jsonKeepalive.kind({ type: JSON_KEEPALIVE_TYPE, sequence: 1, data: {}, timestamp: 1n }),
    ).toBeUndefined();
  });
});
