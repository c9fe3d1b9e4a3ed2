// The bare baseline: a node:net server that keeps nothing per socket. It reads the length
// field of each frame (no magic or CRC check) and writes back, per read, the whole frames of
// that read as a view of the chunk: one write, no copy. Only a frame split across reads is
// kept, in a map entry that exists while it waits. Its idle memory is the floor for Node.js.
// `node bare-echo.mjs echo [binary|json]`
import net from "node:net";
import { LAYOUT } from "../src/lib/wire.mjs";
import { mode, serve } from "./harness.mjs";

const { header, lengthAt, overhead } = LAYOUT[process.argv[3] === "json" ? "json" : "binary"];
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
  let i = 0;
  while (buf.length - i >= header) {
    const end = i + overhead + buf.readUInt32BE(i + lengthAt);
    if (end > buf.length) break;
    i = end;
  }
  if (i < buf.length) tails.set(this, Buffer.from(buf.subarray(i)));
  if (i === 0) return;
  const out = i === buf.length ? buf : buf.subarray(0, i);
  if (!broadcast) this.write(out);
  else for (const peer of sockets) if (!peer.destroyed) peer.write(out);
}

/** @this {net.Socket} */
function onClose() {
  sockets.delete(this);
  tails.delete(this);
}

function ignore() {}

const server = net.createServer({ noDelay: true }, (socket) => {
  sockets.add(socket);
  socket.on("data", onData);
  socket.on("error", ignore);
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
