// The byte helpers on both paths: Node's Buffer, and the browser's (no Buffer global).
import { afterEach, describe, expect, it, vi } from "vitest";

type Bytes = typeof import("./bytes");

async function withoutBuffer(): Promise<Bytes> {
  vi.resetModules();
  vi.stubGlobal("Buffer", undefined);
  try {
    return await import("./bytes");
  } finally {
    vi.unstubAllGlobals();
  }
}

afterEach(() => {
  vi.unstubAllGlobals();
  vi.resetModules();
});

const TEXTS = [
  "",
  "ascii",
  "é",
  "中文字",
  "😀 emoji",
  "lone \ud800 surrogate",
  "end \udc00",
  "x\ud83d",
];

describe("bytes", () => {
  it("gives the same results without Buffer as with it", async () => {
    const node = await import("./bytes");
    const web = await withoutBuffer();
    expect(web.allocBytes(4)).not.toBeInstanceOf(Buffer);
    for (const text of TEXTS) {
      const length = node.utf8Length(text);
      expect(web.utf8Length(text)).toBe(length);
      const a = node.allocBytes(length + 2);
      const b = web.allocBytes(length + 2);
      a.fill(0);
      b.fill(0);
      expect(web.utf8Write(b, text, 1, length)).toBe(node.utf8Write(a, text, 1, length));
      expect([...b]).toEqual([...a]);
      expect(web.utf8Read(b, 1, 1 + length)).toBe(node.utf8Read(a, 1, 1 + length));
    }
  });

  it("allocates plain arrays over an ArrayBuffer of their own, with and without Buffer", async () => {
    for (const { allocUninitialized } of [await import("./bytes"), await withoutBuffer()]) {
      const bytes = allocUninitialized(300);
      expect(bytes.constructor).toBe(Uint8Array);
      expect(bytes.length).toBe(300);
      expect(bytes.byteOffset).toBe(0);
      expect(bytes.buffer.byteLength).toBe(300);
    }
  });

  it("writes big-endian u32", async () => {
    const { writeU32 } = await import("./bytes");
    const b = new Uint8Array(5);
    writeU32(b, 0xdeadbeef, 1);
    expect([...b]).toEqual([0, 0xde, 0xad, 0xbe, 0xef]);
  });
});
