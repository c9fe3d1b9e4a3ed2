// Connection churn: `total` connections, `parallel` at a time, each connecting, sending one
// message, reading its echo and closing.
import { FrameCounter, frameOf } from "../src/lib/wire.mjs";
import { config, connect, finish, untrack } from "./common.mjs";

const c = config();
const port = Number(c.port);
const total = Number(c.total);
const frame = frameOf("binary", 64);
let started = 0;
let completed = 0;
let failed = 0;

/** @returns {Promise<void>} one connection's life: connect, echo, close */
async function once() {
  const socket = await connect(port);
  await new Promise((resolve) => {
    const counter = new FrameCounter("binary");
    socket.on("data", (chunk) => {
      if (counter.push(chunk) > 0) socket.end();
    });
    socket.once("close", resolve);
    socket.write(frame);
  });
  untrack(socket);
}

async function worker() {
  while (started < total) {
    started++;
    try {
      await once();
      completed++;
    } catch {
      failed++;
    }
  }
}

const t0 = process.hrtime.bigint();
await Promise.all(Array.from({ length: Number(c.parallel) }, worker));
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
finish({ completed, failed, seconds, connectionsPerSecond: completed / seconds });
