import { crc32 as zlibCrc32 } from "node:zlib";
import { bench, describe } from "vitest";
import { crc32, crc32Native, crc32Table } from "./crc32";
import { createBinaryProtocol } from "./index";
import type { BinaryMessage } from "./message";

const protocol = createBinaryProtocol();
const decoder = protocol.createDecoder({ maxMessageSize: protocol.maxMessageSize });
/** Where encodeInto writes, as a connection's outgoing batch would be. */
const target = Buffer.allocUnsafe(128 * 1024);
const SIZES = [
  ["64 B", 64],
  ["1 KiB", 1024],
  ["64 KiB", 65536],
] as const;

function message(size: number): BinaryMessage {
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i++) data[i] = (i * 131) & 0xff;
  return { version: 1, type: 2, sequence: 3, data };
}

for (const [label, size] of SIZES) {
  const m = message(size);
  const frame = Buffer.from(protocol.encode(m));

  describe(`binary ${label} payload`, () => {
    bench(`encode ${label}`, () => {
      protocol.encode(m);
    });
    bench(`encodedLength + encodeInto ${label} (what Connection.send does)`, () => {
      if (protocol.encodedLength(m) <= target.length) protocol.encodeInto(m, target, 0);
    });
    bench(`decode ${label}`, () => {
      protocol.decode(frame, 0, frame.length, protocol.maxMessageSize);
    });
    bench(`decode ${label} with createDecoder (what a connection uses)`, () => {
      decoder.decode(frame, 0, frame.length);
    });
  });

  describe(`CRC-32 over a ${label}-payload frame (${frame.length - 4} B)`, () => {
    const end = frame.length - 4;
    bench("zlib.crc32 (subarray)", () => {
      zlibCrc32(frame.subarray(0, end));
    });
    bench("zlib.crc32 (Uint8Array view, as used)", () => {
      crc32Native(frame, 0, end);
    });
    bench("pure-JS table (slicing-by-8)", () => {
      crc32Table(frame, 0, end);
    });
    bench("hybrid (what decode uses)", () => {
      crc32(frame, 0, end);
    });
  });
}
