// Raw JSON baseline: JSON.parse and JSON.stringify of every message.
import { runRaw } from "./raw.mjs";

await runRaw("json", (buf, start, end) => {
  let message;
  try {
    message = JSON.parse(buf.toString("utf8", start + 6, end));
  } catch {
    return undefined;
  }
  const body = JSON.stringify(message);
  const length = Buffer.byteLength(body);
  const frame = Buffer.allocUnsafe(6 + length);
  frame[0] = 0xfe;
  frame[1] = 0xff;
  frame.writeUInt32BE(length, 2);
  frame.write(body, 6);
  return frame;
});
