// In-process microbenchmark of a broadcast's fan-out, without the kernel: a Taurus server
// with `receivers` connections over sink streams (a Duplex that takes every write at once),
// against the hand-written fan-out (one concatenated batch per tick, written to every sink).
// What it measures is Taurus's own work per delivery, which the socket scenarios cannot
// resolve below their noise (the least of its rounds is the steadiest figure):
//   node src/micro-fanout.mjs [receivers] [perTick] [seconds per round] [rounds]
import { Duplex } from "node:stream";
import { createBinaryProtocol } from "@taurus/protocol-binary";
import { createServer } from "@taurus/server";

const [receivers = 1000, perTick = 12, seconds = 1, rounds = 7] = process.argv.slice(2).map(Number);

function sink() {
  return new Duplex({
    read() {},
    write(_chunk, _encoding, callback) {
      callback();
    },
  });
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

/** Runs `round` (one tick's broadcasts) for `seconds`; returns CPU ns per delivery. */
async function measure(round) {
  for (let i = 0; i < 200; i++) {
    round();
    await tick();
  }
  const start = process.cpuUsage();
  const until = Date.now() + seconds * 1000;
  let ticks = 0;
  while (Date.now() < until) {
    round();
    await tick();
    ticks++;
  }
  const used = process.cpuUsage(start);
  return ((used.user + used.system) * 1000) / (ticks * perTick * receivers);
}

const protocol = createBinaryProtocol();
const server = createServer({
  protocol,
  rateLimit: Number.POSITIVE_INFINITY,
  inboundBytesPerSecond: Number.POSITIVE_INFINITY,
  maxConnections: 100_000,
  // Receivers only read, as in the broadcast scenario: no first-byte or idle deadline.
  handshakeTimeout: 0,
  idleTimeout: 0,
  handler: { onMessage() {} },
});
for (let i = 0; i < receivers; i++) server.accept(sink(), { remoteAddress: "127.0.0.1" });
while (server.connectionCount < receivers) await tick();
const message = { version: 1, type: 2, sequence: 1, data: new Uint8Array(64).fill(0x61) };

const sinks = Array.from({ length: receivers }, sink);
const frame = Buffer.from(protocol.encode(message));
const raw = () => {
  const batch = Buffer.concat(Array.from({ length: perTick }, () => frame));
  for (const s of sinks) if (!s.destroyed) s.write(batch);
};
const taurus = () => {
  for (let i = 0; i < perTick; i++) server.broadcast(message);
};

const results = { taurus: [], raw: [] };
/** Every receiver must still be there for the figures to mean anything. */
const check = () => {
  if (server.connectionCount !== receivers)
    throw new Error(`${server.connectionCount} receivers left`);
};
for (let r = 0; r < rounds; r++) {
  results.taurus.push(await measure(taurus));
  results.raw.push(await measure(raw));
  check();
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (xs) => `min ${Math.min(...xs).toFixed(0)}, median ${median(xs).toFixed(0)} ns`;
process.stdout.write(
  `${receivers} receivers, ${perTick} broadcasts a tick, CPU per delivery over ${rounds} rounds: Taurus ${fmt(results.taurus)}; hand-written ${fmt(results.raw)}\n`,
);
await server.close();
