// Idle connections: opens `connections` sockets, sends one message on each and waits for its
// echo (a real client says something first), reports "ready", then holds them until stopped.
import { FrameCounter, frameOf } from "../src/lib/wire.mjs";
import { config, connectMany, send, sleep } from "./common.mjs";

const c = config();
const frame = frameOf("binary", 64);
const sockets = await connectMany(Number(c.port), Number(c.connections), 250);
let echoed = 0;
await Promise.all(
  sockets.map(
    (socket) =>
      new Promise((resolve) => {
        const counter = new FrameCounter("binary");
        socket.on("data", (chunk) => {
          if (counter.push(chunk) > 0) {
            echoed++;
            resolve(undefined);
          }
        });
        socket.write(frame);
      }),
  ),
);
send({ type: "ready", opened: sockets.length, echoed });
// Held until the parent sends "stop" (common.mjs); bounded by a deadline.
await sleep(Number(c.holdMs ?? 120_000));
process.exit(1);
