// Scenario: broadcast fan-out of chat-server across 2 instances joined through a real
// redis-server (pub/sub, and durable streams), beside the same room in 1 instance: one
// sender on the first instance keeps `window` chat messages per receiver in flight; the
// receivers (binary peers, only reading) are split evenly over the instances. Also reports
// what the backplane counted as lost or dropped (must be 0).
// This file is also its own load generator (run as a child with its configuration).
import { spawn } from "node:child_process";
import net from "node:net";
import { pathToFileURL } from "node:url";
import { Child } from "../lib/proc.mjs";
import { log } from "./common.mjs";
import { startChatServer, waitConnections } from "./fanout-workers.mjs";

const SELF = "src/scenarios/fanout-redis.mjs";

/** @returns {Promise<number>} a free port of 127.0.0.1 */
function freePort() {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = /** @type {net.AddressInfo} */ (server.address());
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts a throwaway redis-server (from the PATH) with no persistence.
 * @returns {Promise<{ url: string, stop: () => Promise<void> }>}
 */
async function startRedis() {
  const port = await freePort();
  const proc = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const kill = () => proc.kill("SIGKILL");
  process.once("exit", kill);
  const exited = new Promise((resolve) => proc.once("exit", resolve));
  await new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error("redis-server did not start")), 10_000);
    proc.stdout?.on("data", (chunk) => {
      out += chunk.toString();
      if (out.includes("Ready to accept connections")) {
        clearTimeout(timer);
        proc.stdout?.resume();
        resolve(undefined);
      }
    });
    proc.once("error", reject);
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: async () => {
      kill();
      await exited;
      process.off("exit", kill);
    },
  };
}

/**
 * The backplane counters of a chat-server, summed over its instances.
 * @param {number} metricsPort
 */
async function backplaneCounts(metricsPort) {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  /** @type {Record<string, number>} */
  const sums = {};
  for (const line of text.split("\n")) {
    const m = /^taurus_backplane_(\w+)_total(?:\{[^}]*\})? (\S+)$/.exec(line);
    if (m)
      sums[/** @type {string} */ (m[1])] = (sums[/** @type {string} */ (m[1])] ?? 0) + Number(m[2]);
  }
  return sums;
}

/** @param {import("./common.mjs").Settings} settings */
export async function fanoutRedis(settings) {
  const receivers = settings.quick ? 100 : 1000;
  const timing = settings.quick
    ? { warmupMs: 200, durationMs: 500 }
    : { warmupMs: 1000, durationMs: 4000 };
  const setups = [
    { instances: 1, backplane: "none" },
    { instances: 2, backplane: "pubsub" },
    { instances: 2, backplane: "streams" },
  ];
  const rows = [];
  for (const setup of setups) {
    const redis = setup.backplane === "none" ? undefined : await startRedis();
    const extra = redis ? ["--redis", redis.url, "--redis-mode", setup.backplane] : [];
    const servers = [];
    try {
      for (let i = 0; i < setup.instances; i++) servers.push(await startChatServer(0, extra));
      const generator = new Child(
        SELF,
        [
          JSON.stringify({
            ports: servers.map((s) => s.binary),
            receivers,
            size: 64,
            window: 4,
            ...timing,
          }),
        ],
        [],
      );
      try {
        await generator.next("connected", 60_000);
        const share = receivers / setup.instances;
        for (const [i, s] of servers.entries())
          await waitConnections(s.metrics, share + (i === 0 ? 1 : 0));
        generator.send({ type: "go" });
        const r = await generator.next("result", 120_000);
        const counts = await Promise.all(servers.map((s) => backplaneCounts(s.metrics)));
        const sum = (/** @type {string} */ k) => counts.reduce((n, c) => n + (c[k] ?? 0), 0);
        const row = {
          instances: setup.instances,
          backplane: setup.backplane,
          receivers,
          deliveriesPerSecond: Math.round(Number(r.deliveriesPerSecond)),
          messagesPerSecond: Math.round(Number(r.deliveriesPerSecond) / receivers),
          backplaneLost: sum("lost"),
          backplaneDropped: sum("dropped"),
        };
        log(
          `fan-out over ${setup.instances} instance(s), backplane ${setup.backplane}: ${row.deliveriesPerSecond} deliveries/s`,
        );
        rows.push(row);
      } finally {
        await generator.stop(5000);
      }
    } finally {
      for (const s of servers) await s.stop();
      await redis?.stop();
    }
  }
  return rows;
}

/** The load generator: receivers split over the ports read; one sender on the first port. */
async function generate() {
  const { config, connect, connectMany, finish, send, window } = await import(
    "../../generators/common.mjs"
  );
  const { chatHeartbeatFrame, chatJoinFrame, FrameCounter } = await import("../lib/wire.mjs");
  const { createBinaryProtocol } = await import("@taurus/protocol-binary");
  const c = config();
  const ports = /** @type {number[]} */ (c.ports);
  const count = Number(c.receivers);
  const body = { type: 2, sequence: 1, from: "bench", to: "", content: "x".repeat(Number(c.size)) };
  const frame = Buffer.from(
    createBinaryProtocol().encode({
      version: 1,
      type: 2,
      sequence: 1,
      data: Buffer.from(JSON.stringify(body)),
    }),
  );
  const receivers = [];
  for (const port of ports) receivers.push(...(await connectMany(port, count / ports.length)));
  for (const socket of receivers) socket.write(chatHeartbeatFrame()); // speak first, as chat clients do
  const sender = await connect(/** @type {number} */ (ports[0]));
  sender.on("data", () => {}); // its own copies
  sender.write(chatJoinFrame("bench"));
  send({ type: "connected" });
  await new Promise((resolve) =>
    process.on("message", (m) => {
      if (/** @type {{ type: string }} */ (m).type === "go") resolve(undefined);
    }),
  );
  let sent = 0;
  let deliveries = 0;
  let running = true;
  const limit = Number(c.window) * count;
  // Keeps `window` messages per receiver in flight, counted over all receivers (whatever
  // instance each one is on), so that no instance's backlog grows without bound.
  const pump = () => {
    while (running && sent * count - deliveries < limit) {
      sender.write(frame);
      sent++;
    }
  };
  for (const socket of receivers) {
    const counter = new FrameCounter("binary");
    socket.on("data", (chunk) => {
      deliveries += counter.push(chunk);
      pump();
    });
  }
  pump();
  let startCount = 0;
  let endCount = 0;
  const seconds = await window(Number(c.warmupMs), Number(c.durationMs), (phase) => {
    if (phase === "start") startCount = deliveries;
    else endCount = deliveries;
  });
  running = false;
  finish({ deliveriesPerSecond: (endCount - startCount) / seconds });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await generate();
