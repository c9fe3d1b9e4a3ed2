// Issue 18: the CRC is computed without views (header by table, data continued from it),
// with the same value as one pass over the frame, at every size either side of the switch
// to zlib; a corrupted large frame is still dropped as a checksum error.
import { crc32 as zlibCrc32 } from "node:zlib";
import { describe, expect, it } from "vitest";
import { crc32Continue, crc32Table, NATIVE_THRESHOLD } from "./crc32";
import { createBinaryProtocol } from "./protocol";

describe("CRC continued over the data", () => {
  it("equals one CRC of header and data, on both sides of the zlib threshold", () => {
    for (const size of [0, 1, NATIVE_THRESHOLD - 1, NATIVE_THRESHOLD, 1024, 70_000]) {
      const bytes = Buffer.alloc(15 + size);
      for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31 + 7) & 0xff;
      const data = bytes.subarray(15);
      expect(crc32Continue(data, crc32Table(bytes, 0, 15))).toBe(zlibCrc32(bytes) >>> 0);
    }
  });

  it("encodes and decodes large frames exactly, and drops a corrupted one as CHECKSUM", () => {
    const binary = createBinaryProtocol();
    const decoder = binary.createDecoder({ maxMessageSize: 1 << 20 });
    for (const size of [NATIVE_THRESHOLD, 5000]) {
      const data = Uint8Array.from({ length: size }, (_, i) => i & 0xff);
      const frame = Buffer.from(binary.encode({ version: 1, type: 2, sequence: 3, data }));
      expect(frame.readUInt32BE(frame.length - 4)).toBe(
        zlibCrc32(frame.subarray(0, frame.length - 4)) >>> 0,
      );
      const into = Buffer.alloc(frame.length + 2);
      binary.encodeInto({ version: 1, type: 2, sequence: 3, data }, into, 1);
      expect(into.subarray(1, 1 + frame.length).equals(frame)).toBe(true);
      const ok = decoder.decode(frame, 0, frame.length);
      expect(ok.kind === "message" && Buffer.from(ok.message.data).equals(data)).toBe(true);
      frame[20] = (frame[20] as number) ^ 1;
      const bad = decoder.decode(frame, 0, frame.length);
      expect(bad).toMatchObject({ kind: "drop", reason: "checksum", consumed: frame.length });
    }
  });
});
