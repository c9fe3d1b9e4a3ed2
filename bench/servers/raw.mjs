// The raw baseline: a hand-written node:net server that decodes every frame and writes its
// replies batched, one write per data event: the ceiling for Node.js on this wire format.
import net from "node:net";
import { frameSplitter } from "../src/lib/wire.mjs";
import { countError, mode, serve } from "./harness.mjs";

/**
 * @param {import("../src/lib/wire.mjs").Format} format
 * @param {(buf: Buffer, start: number, end: number) => Buffer | undefined} reply
 *   the reply frame to a frame, or `undefined` to drop it
 */
export async function runRaw(format, reply) {
  const broadcast = mode() === "broadcast";
  /** @type {Set<net.Socket>} */
  const sockets = new Set();
  // noDelay, as Taurus and the other baselines: with Nagle's algorithm the kernel would
  // coalesce this server's small writes (half the system CPU of a 1,000-receiver
  // broadcast), at the cost of the latency a messaging server is there to keep low.
  const server = net.createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    /** @type {Buffer[]} */
    let out = [];
    const split = frameSplitter(format, (buf, start, end) => {
      const frame = reply(buf, start, end);
      if (frame) out.push(frame);
      else countError("DROPPED");
    });
    socket.on("data", (chunk) => {
      split(chunk);
      if (out.length === 0) return;
      const batch =
        out.length === 1 ? Buffer.from(/** @type {Buffer} */ (out[0])) : Buffer.concat(out);
      out = [];
      if (!broadcast) {
        socket.write(batch);
        return;
      }
      for (const peer of sockets) if (!peer.destroyed) peer.write(batch);
    });
    socket.on("error", () => countError("SOCKET"));
    socket.on("close", () => sockets.delete(socket));
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
}
