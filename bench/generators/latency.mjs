// Request/reply: one message outstanding per connection; the round trip of each is recorded
// (process.hrtime.bigint) over a fixed duration after a warm-up.
import { Histogram } from "../src/lib/stats.mjs";
import { FrameCounter, frameOf } from "../src/lib/wire.mjs";
import { config, connectMany, finish, window } from "./common.mjs";

const c = config();
const format = c.format === "json" ? "json" : "binary";
const frame = frameOf(format, Number(c.size));
const sockets = await connectMany(Number(c.port), Number(c.connections));
const histogram = new Histogram();
let measuring = false;
let running = true;
let total = 0;

for (const socket of sockets) {
  const counter = new FrameCounter(format);
  let sentAt = process.hrtime.bigint();
  socket.on("data", (chunk) => {
    const k = counter.push(chunk);
    if (k === 0) return;
    total += k;
    const now = process.hrtime.bigint();
    if (measuring) histogram.record(Number(now - sentAt));
    if (!running) return;
    sentAt = process.hrtime.bigint();
    socket.write(frame);
  });
  socket.write(frame);
}

const seconds = await window(Number(c.warmupMs), Number(c.durationMs), (phase) => {
  measuring = phase === "start";
});
running = false;
finish({ ...histogram.summary(), requestsPerSecond: histogram.count / seconds, total });
