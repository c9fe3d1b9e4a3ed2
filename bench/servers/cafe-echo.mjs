// The hand-written CAFE echo, the ceiling for the binary protocol in Node.js: per read, it
// verifies each frame's CRC with zlib.crc32, writes a fresh reply frame (header, data copied
// once, new CRC) for each into one buffer, and makes one write. Frames that fail the CRC are
// counted and dropped. A frame split across reads is kept per socket until it completes.
import net from "node:net";
import { crc32 } from "node:zlib";
import { countError, mode, serve } from "./harness.mjs";

const HEADER = 15;
const OVERHEAD = 19;
const broadcast = mode() === "broadcast";
/** @type {Set<net.Socket>} */
const sockets = new Set();
/** Incomplete tails, only for sockets that have one. @type {Map<net.Socket, Buffer>} */
const tails = new Map();

/** @param {Buffer} chunk @this {net.Socket} */
function onData(chunk) {
  const tail = tails.get(this);
  let buf = chunk;
  if (tail !== undefined) {
    tails.delete(this);
    buf = Buffer.concat([tail, chunk]);
  }
  // Pass 1: find the whole frames and verify their CRCs; sum the reply's size.
  let i = 0;
  let size = 0;
  while (buf.length - i >= HEADER) {
    const end = i + OVERHEAD + buf.readUInt32BE(i + 11);
    if (end > buf.length) break;
    size += end - i;
    i = end;
  }
  if (i < buf.length) tails.set(this, Buffer.from(buf.subarray(i)));
  if (size === 0) return;
  // Pass 2: verify each frame and write its reply into one buffer.
  const out = Buffer.allocUnsafe(size);
  let o = 0;
  for (let f = 0; f < i; ) {
    const length = buf.readUInt32BE(f + 11);
    const crcAt = f + HEADER + length;
    if (crc32(buf.subarray(f, crcAt)) >>> 0 !== buf.readUInt32BE(crcAt)) {
      countError("CHECKSUM");
      f = crcAt + 4;
      continue;
    }
    out[o] = 0xca;
    out[o + 1] = 0xfe;
    out[o + 2] = buf[f + 2] ?? 0;
    out.writeUInt32BE(buf.readUInt32BE(f + 3), o + 3);
    out.writeUInt32BE(buf.readUInt32BE(f + 7), o + 7);
    out.writeUInt32BE(length, o + 11);
    buf.copy(out, o + HEADER, f + HEADER, crcAt);
    const outCrcAt = o + HEADER + length;
    out.writeUInt32BE(crc32(out.subarray(o, outCrcAt)) >>> 0, outCrcAt);
    o = outCrcAt + 4;
    f = crcAt + 4;
  }
  if (o === 0) return;
  const reply = o === size ? out : out.subarray(0, o);
  if (!broadcast) this.write(reply);
  else for (const peer of sockets) if (!peer.destroyed) peer.write(reply);
}

/** @this {net.Socket} */
function onClose() {
  sockets.delete(this);
  tails.delete(this);
}

function onError() {
  countError("SOCKET");
}

const server = net.createServer({ noDelay: true }, (socket) => {
  sockets.add(socket);
  socket.on("data", onData);
  socket.on("error", onError);
  socket.on("close", onClose);
});
await serve({
  listen: () =>
    new Promise((resolve) => {
      server.listen(0, "127.0.0.1", () =>
        resolve(/** @type {net.AddressInfo} */ (server.address()).port),
      );
    }),
  connections: () => sockets.size,
  close: () =>
    new Promise((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }),
});
