// Raw binary baseline: checks each frame's CRC (zlib.crc32) and echoes the frame.
import { crc32 } from "node:zlib";
import { runRaw } from "./raw.mjs";

await runRaw("binary", (buf, start, end) => {
  const frame = buf.subarray(start, end);
  const ok =
    crc32(frame.subarray(0, frame.length - 4)) >>> 0 === frame.readUInt32BE(frame.length - 4);
  return ok ? frame : undefined;
});
