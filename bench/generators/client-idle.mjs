// Idle @taurus/client clients: opens `connections` clients (with a session when `session`),
// each sends one message and waits for its echo, then reports "ready" with the generator's
// own memory (after a full gc) before and after, and holds them until stopped.
import { createClient } from "@taurus/client";
import { clientMessage, clientProtocol } from "./client-common.mjs";
import { config, send, sleep, track } from "./common.mjs";

const c = config();
const count = Number(c.connections);

async function memoryAfterGc() {
  const gc = /** @type {(() => void) | undefined} */ (globalThis.gc);
  for (let i = 0; gc && i < 3; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return process.memoryUsage();
}

const before = await memoryAfterGc();
const message = clientMessage("binary", 64);
const clients = [];
let echoed = 0;
for (let i = 0; i < count; i += 100) {
  const batch = Array.from({ length: Math.min(100, count - i) }, async () => {
    const client = createClient({
      address: { host: "127.0.0.1", port: Number(c.port) },
      protocol: clientProtocol("binary"),
      ...(c.session ? { session: true } : {}),
    });
    client.on("error", () => {});
    track({ destroy: () => void client.close() });
    const echo = new Promise((resolve) => client.once("message", resolve));
    await client.connect();
    client.send(message);
    await echo;
    echoed++;
    clients.push(client);
  });
  await Promise.all(batch);
}
const after = await memoryAfterGc();
send({
  type: "ready",
  opened: clients.length,
  echoed,
  heapPerClient: Math.round((after.heapUsed - before.heapUsed) / clients.length),
  rssPerClient: Math.round((after.rss - before.rss) / clients.length),
});
// Held until the parent sends "stop" (common.mjs); bounded by a deadline.
await sleep(Number(c.holdMs ?? 120_000));
process.exit(1);
