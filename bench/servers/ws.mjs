// The ws baseline: a WebSocketServer echoing (or broadcasting) every message as it came.
import { WebSocketServer } from "ws";
import { countError, mode, serve } from "./harness.mjs";

const broadcast = mode() === "broadcast";
const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, perMessageDeflate: false });
wss.on("connection", (ws) => {
  ws.on("message", (data, isBinary) => {
    if (!broadcast) {
      ws.send(data, { binary: isBinary });
      return;
    }
    for (const peer of wss.clients) peer.send(data, { binary: isBinary });
  });
  ws.on("error", () => countError("SOCKET"));
});
await serve({
  listen: () =>
    new Promise((resolve) => {
      wss.once("listening", () =>
        resolve(/** @type {import("node:net").AddressInfo} */ (wss.address()).port),
      );
    }),
  connections: () => wss.clients.size,
  close: () =>
    new Promise((resolve) => {
      for (const ws of wss.clients) ws.terminate();
      wss.close(() => resolve());
    }),
});
