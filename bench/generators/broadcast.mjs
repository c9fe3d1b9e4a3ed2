// Broadcast fan-out: `receivers` connections only read; one sender keeps `window` broadcasts
// in flight, clocked by its own copies. Each message carries its send time
// (process.hrtime.bigint, CLOCK_MONOTONIC: shared by the processes of one machine), so the
// receivers record the delivery delay.
import { Histogram } from "../src/lib/stats.mjs";
import {
  BINARY_DATA_AT,
  binaryFrame,
  FrameCounter,
  frameSplitter,
  resealBinary,
} from "../src/lib/wire.mjs";
import { config, connect, connectMany, finish, send, window } from "./common.mjs";

const c = config();
const port = Number(c.port);
const win = Number(c.window);
const template = binaryFrame(Buffer.alloc(Number(c.size), 0x61));
const receivers = await connectMany(port, Number(c.receivers));
const histogram = new Histogram();
let deliveries = 0;
let measuring = false;
let running = true;

for (const socket of receivers) {
  /** @type {bigint} */
  let now = 0n;
  const split = frameSplitter("binary", (buf, start) => {
    deliveries++;
    if (measuring) histogram.record(Number(now - buf.readBigUInt64BE(start + BINARY_DATA_AT)));
  });
  socket.on("data", (chunk) => {
    now = process.hrtime.bigint();
    split(chunk);
  });
}

const sender = await connect(port);
send({ type: "connected" });
await new Promise((resolve) =>
  process.on("message", (m) => {
    if (/** @type {{ type: string }} */ (m).type === "go") resolve(undefined);
  }),
);

const stamped = () => {
  const frame = Buffer.from(template);
  frame.writeBigUInt64BE(process.hrtime.bigint(), BINARY_DATA_AT);
  resealBinary(frame);
  return frame;
};
const counter = new FrameCounter("binary");
sender.on("data", (chunk) => {
  const k = counter.push(chunk);
  if (!running) return;
  for (let i = 0; i < Math.min(k, win); i++) sender.write(stamped());
});
for (let i = 0; i < win; i++) sender.write(stamped());

let startCount = 0;
let endCount = 0;
const seconds = await window(Number(c.warmupMs), Number(c.durationMs), (phase) => {
  measuring = phase === "start";
  if (phase === "start") startCount = deliveries;
  else endCount = deliveries;
});
running = false;
// total: every delivery from "go" to the end of the window (the server's CPU is read over it).
finish({
  ...histogram.summary(),
  deliveriesPerSecond: (endCount - startCount) / seconds,
  total: endCount,
});
