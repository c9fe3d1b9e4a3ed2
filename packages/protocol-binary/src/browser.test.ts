// Without Buffer and without zlib (a browser): the same frames, byte for byte, and the same
// messages back.
import { afterEach, describe, expect, it, vi } from "vitest";
import { createBinaryProtocol as nodeProtocol } from "./index";

afterEach(() => {
  vi.unstubAllGlobals();
  vi.resetModules();
});

describe("binary protocol in a browser", () => {
  it("encodes and decodes like Node, with the table CRC", async () => {
    vi.resetModules();
    vi.stubGlobal("Buffer", undefined);
    vi.stubGlobal("process", {});
    let web: typeof import("./index");
    let crc: typeof import("./crc32");
    try {
      web = await import("./index");
      crc = await import("./crc32");
    } finally {
      vi.unstubAllGlobals();
    }
    const node = nodeProtocol();
    const browser = web.createBinaryProtocol();
    for (const size of [0, 10, 300, 5000]) {
      const data = new Uint8Array(size).map((_, i) => (i * 7) & 0xff);
      const message = { version: 1, type: 2, sequence: 3, data };
      const frame = browser.encode(message);
      expect(frame).not.toBeInstanceOf(Buffer);
      expect(Buffer.from(frame)).toEqual(Buffer.from(node.encode(message)));
      expect(crc.crc32Native(frame, 0, frame.length)).toBe(crc.crc32Table(frame, 0, frame.length));
      const decoded = browser
        .createDecoder({ maxMessageSize: 1 << 20 })
        .decode(frame as Buffer, 0, frame.length);
      expect(decoded.kind).toBe("message");
      if (decoded.kind === "message") expect([...decoded.message.data]).toEqual([...data]);
    }
  });
});
