/**
 * Frames per second of the binary decoder on 64 B payloads, decoded the way a connection
 * does: a loop over a chunk of back-to-back frames, advancing by `consumed`.
 * One benchmark operation decodes {@link FRAMES} frames: frames/s = ops/s × 1000.
 */
import { bench, describe } from "vitest";
import { createBinaryProtocol } from "./index";

const FRAMES = 1000;
const protocol = createBinaryProtocol();
const decoder = protocol.createDecoder({ maxMessageSize: protocol.maxMessageSize });
const data = new Uint8Array(64).map((_, i) => i);
const one = protocol.encode({ version: 1, type: 2, sequence: 3, data });
const chunk = Buffer.concat(Array.from({ length: FRAMES }, () => one));

describe("binary decode rate, 64 B payload", () => {
  bench(`decode ${FRAMES} frames in a tight loop (frames/s = hz × ${FRAMES})`, () => {
    let start = 0;
    while (start < chunk.length) {
      const result = decoder.decode(chunk, start, chunk.length);
      if (result.kind !== "message") throw new Error("unexpected result");
      start += result.consumed;
    }
  });
});
