// Pipelined echo: each connection keeps `window` messages in flight; echoes are counted over a
// fixed duration after a warm-up. transport "tcp" speaks a Taurus wire format; "ws" sends the
// same binary frames as WebSocket messages.
import WebSocket from "ws";
import { FrameCounter, frameOf, repeatFrame } from "../src/lib/wire.mjs";
import { config, connectMany, finish, track, window } from "./common.mjs";

const c = config();
const port = Number(c.port);
const format = c.format === "json" ? "json" : "binary";
const frame = frameOf(format, Number(c.size));
const win = Number(c.window);
const connections = Number(c.connections);

let received = 0;
let running = true;

if (c.transport === "ws") {
  const clients = await Promise.all(
    Array.from(
      { length: connections },
      () =>
        new Promise((resolve, reject) => {
          const ws = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: false });
          track({ destroy: () => ws.terminate() });
          ws.binaryType = "nodebuffer";
          ws.once("open", () => resolve(ws));
          ws.once("error", reject);
        }),
    ),
  );
  for (const ws of /** @type {WebSocket[]} */ (clients)) {
    ws.on("message", () => {
      received++;
      if (running) ws.send(frame);
    });
    for (let i = 0; i < win; i++) ws.send(frame);
  }
} else {
  const block = repeatFrame(frame, win);
  const sockets = await connectMany(port, connections);
  for (const socket of sockets) {
    const counter = new FrameCounter(format);
    socket.on("data", (chunk) => {
      const k = counter.push(chunk);
      received += k;
      if (running && k > 0) socket.write(block.subarray(0, Math.min(k, win) * frame.length));
    });
    socket.write(block);
  }
}

let startCount = 0;
let endCount = 0;
const seconds = await window(Number(c.warmupMs), Number(c.durationMs), (phase) => {
  if (phase === "start") startCount = received;
  else endCount = received;
});
running = false;
const messages = endCount - startCount;
finish({
  messagesPerSecond: messages / seconds,
  megabytesPerSecond: (messages * frame.length) / seconds / 1e6,
  frameBytes: frame.length,
  messages,
  total: received,
});
