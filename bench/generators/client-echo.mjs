// Pipelined echo through @taurus/client (not hand-rolled frames): each client keeps `window`
// messages in flight and sends one more per echo; echoes are counted over a fixed duration
// after a warm-up. `session: true` asks the server for a session (issue 13), so the same
// generator measures the session layer's cost against plain connections.
import { createClient } from "@taurus/client";
import { clientMessage, clientProtocol } from "./client-common.mjs";
import { config, finish, track, window } from "./common.mjs";

const c = config();
const format = c.format === "json" ? "json" : "binary";
const message = clientMessage(format, Number(c.size));
const win = Number(c.window);
const connections = Number(c.connections);

let received = 0;
let running = true;
const clients = [];
for (let i = 0; i < connections; i++) {
  const client = createClient({
    address: { host: "127.0.0.1", port: Number(c.port) },
    protocol: clientProtocol(format),
    sendBufferSize: Math.max(1024, win * 2),
    ...(c.session ? { session: true } : {}),
  });
  client.on("error", () => {});
  track({ destroy: () => void client.close() });
  await client.connect();
  clients.push(client);
}
for (const client of clients) {
  client.on("message", () => {
    received++;
    if (running) client.send(message);
  });
  for (let i = 0; i < win; i++) client.send(message);
}

let startCount = 0;
let endCount = 0;
let cpuStart = 0;
let cpuEnd = 0;
const cpu = () => {
  const { user, system } = process.cpuUsage();
  return user + system;
};
const seconds = await window(Number(c.warmupMs), Number(c.durationMs), (phase) => {
  if (phase === "start") {
    startCount = received;
    cpuStart = cpu();
  } else {
    endCount = received;
    cpuEnd = cpu();
  }
});
running = false;
const messages = endCount - startCount;
// `total`: every echo received (warm-up included), to divide the server's CPU time by;
// `cpuMicrosPerMessage`: this generator's CPU per echo within the window (the client's cost).
finish({
  messagesPerSecond: messages / seconds,
  messages,
  total: received,
  cpuMicrosPerMessage: (cpuEnd - cpuStart) / Math.max(1, messages),
});
