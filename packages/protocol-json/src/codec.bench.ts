import { bench, describe } from "vitest";
import { createJsonProtocol } from "./index";
import type { JsonMessage } from "./message";

const protocol = createJsonProtocol();
const decoder = protocol.createDecoder({ maxMessageSize: protocol.maxMessageSize });
/** Where encodeInto writes, as a connection's outgoing batch would be. */
const target = Buffer.allocUnsafe(128 * 1024);
const SIZES = [
  ["64 B", 64],
  ["1 KiB", 1024],
  ["64 KiB", 65536],
] as const;

/** A chat-like message whose `data` serialises to exactly `size` bytes. */
function message(size: number): JsonMessage {
  const data = { from: "alice", to: "bob", content: "" };
  data.content = "x".repeat(size - JSON.stringify(data).length);
  return { type: 2, sequence: 7, data, timestamp: 1732412345123456789n };
}

for (const [label, size] of SIZES) {
  const m = message(size);
  const frame = Buffer.from(protocol.encode(m));
  const body = frame.toString("utf8", 6);
  // The same message with `timestamp` first: the general top-level scan, not the tail fast path.
  const reordered = Buffer.from(
    `{"timestamp":1732412345123456789,"type":2,"sequence":7,"data":${JSON.stringify(m.data)}}`,
  );
  const reorderedFrame = Buffer.concat([Buffer.from([0xfe, 0xff, 0, 0, 0, 0]), reordered]);
  reorderedFrame.writeUInt32BE(reordered.length, 2);

  describe(`json ${label} data`, () => {
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
    bench(`decode ${label}, timestamp not last (full scan)`, () => {
      protocol.decode(reorderedFrame, 0, reorderedFrame.length, protocol.maxMessageSize);
    });
    bench(`bare JSON.parse of the body string ${label}`, () => {
      JSON.parse(body);
    });
    bench(`bare JSON.parse(buffer.toString()) ${label}`, () => {
      JSON.parse(frame.toString("utf8", 6));
    });
  });
}
