// Without Buffer (a browser): the same frames, byte for byte, and the same messages back.
import { afterEach, describe, expect, it, vi } from "vitest";
import { createJsonProtocol as nodeProtocol } from "./index";

afterEach(() => {
  vi.unstubAllGlobals();
  vi.resetModules();
});

describe("json protocol in a browser", () => {
  it("encodes and decodes like Node", async () => {
    vi.resetModules();
    vi.stubGlobal("Buffer", undefined);
    let web: typeof import("./index");
    try {
      web = await import("./index");
    } finally {
      vi.unstubAllGlobals();
    }
    const node = nodeProtocol();
    const browser = web.createJsonProtocol();
    const message = {
      type: 2,
      sequence: 7,
      data: { from: "ané", to: "", content: "中文 😀 <b>" },
      timestamp: 1_700_000_000_123_456_789n,
    };
    const frame = browser.encode(message);
    expect(frame).not.toBeInstanceOf(Buffer);
    expect(Buffer.from(frame)).toEqual(Buffer.from(node.encode(message)));
    const decoded = browser
      .createDecoder({ maxMessageSize: 1 << 20 })
      .decode(frame as Buffer, 0, frame.length);
    expect(decoded).toEqual({ kind: "message", message, consumed: frame.length });
  });
});
