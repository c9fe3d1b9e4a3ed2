// Scenario: broadcast fan-out of the chat-server over worker processes (node:cluster,
// rooms joined through the primary's IPC): deliveries per second with the room in one
// process (0 workers), and with 1, 2 and 4 workers sharing the port. One sender keeps
// `window` chat messages per receiver in flight; `receivers` binary peers only read.
// This file is also its own load generator (run as a child with its configuration).
import { spawn } from "node:child_process";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Child } from "../lib/proc.mjs";
import { log } from "./common.mjs";

const CHAT_SERVER = fileURLToPath(
  new URL("../../../apps/chat-server/dist/main.js", import.meta.url),
);
const SELF = "src/scenarios/fanout-workers.mjs";

/**
 * Starts chat-server with `workers` workers on free ports of 127.0.0.1.
 * @param {number} workers
 * @param {string[]} [extra] more flags (e.g. --redis)
 * @returns {Promise<{ binary: number, metrics: number, stop: () => Promise<void> }>}
 */
export function startChatServer(workers, extra = []) {
  const args = [CHAT_SERVER, "--host", "127.0.0.1", "--json-port", "0", "--binary-port", "0"];
  args.push("--metrics-port", "0", "--rate-limit", "inf", "--max-connections", "100000");
  args.push("--inbound-bytes-per-second", "inf");
  args.push("--log-level", "info", "--workers", String(workers)); // info: the "listening" line
  args.push(...extra);
  const proc = spawn(process.execPath, args, { stdio: ["ignore", "ignore", "pipe"] });
  const kill = () => proc.kill("SIGKILL");
  process.once("exit", kill);
  const exited = new Promise((resolve) => proc.once("exit", resolve));
  const stop = async () => {
    proc.kill("SIGTERM");
    const timer = setTimeout(kill, 10_000);
    await exited;
    clearTimeout(timer);
    process.off("exit", kill);
  };
  return new Promise((resolve, reject) => {
    let buffered = "";
    const timer = setTimeout(() => {
      kill();
      reject(new Error("chat-server did not start"));
    }, 30_000);
    proc.stderr?.on("data", (chunk) => {
      buffered += chunk.toString();
      for (let nl = buffered.indexOf("\n"); nl !== -1; nl = buffered.indexOf("\n")) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (!line.startsWith("{")) {
          process.stderr.write(`chat-server: ${line}\n`);
          continue;
        }
        const entry = JSON.parse(line);
        if (entry.msg === "listening") {
          clearTimeout(timer);
          resolve({ binary: entry.binary, metrics: entry.metrics, stop });
        }
      }
    });
    proc.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`chat-server exited with ${code}`));
    });
  });
}

/**
 * Waits until chat-server counts `n` connections.
 * @param {number} metricsPort
 * @param {number} n
 */
export async function waitConnections(metricsPort, n) {
  for (let i = 0; i < 200; i++) {
    const health = await (await fetch(`http://127.0.0.1:${metricsPort}/healthz`)).json();
    if (Number(health.connections) >= n) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`chat-server never reached ${n} connections`);
}

/** @param {import("./common.mjs").Settings} settings */
export async function fanoutWorkers(settings) {
  const receivers = settings.quick ? 100 : 1000;
  const timing = settings.quick
    ? { warmupMs: 200, durationMs: 500 }
    : { warmupMs: 1000, durationMs: 4000 };
  const rows = [];
  for (const workers of [0, 1, 2, 4]) {
    const server = await startChatServer(workers);
    const generator = new Child(
      SELF,
      [JSON.stringify({ port: server.binary, receivers, size: 64, window: 4, ...timing })],
      [],
    );
    try {
      await generator.next("connected", 60_000);
      await waitConnections(server.metrics, receivers + 1);
      generator.send({ type: "go" });
      const r = await generator.next("result", 60_000);
      const row = {
        workers,
        backplane: workers === 0 ? "in-process" : "ipc",
        receivers,
        deliveriesPerSecond: Math.round(Number(r.deliveriesPerSecond)),
        messagesPerSecond: Math.round(Number(r.deliveriesPerSecond) / receivers),
      };
      log(`fan-out with ${workers} workers: ${row.deliveriesPerSecond} deliveries/s`);
      rows.push(row);
    } finally {
      await generator.stop(5000);
      await server.stop();
    }
  }
  return rows;
}

/** The load generator: `receivers` binary peers read; one sender keeps the room busy. */
async function generate() {
  const { config, connect, connectMany, finish, send, window } = await import(
    "../../generators/common.mjs"
  );
  const { chatHeartbeatFrame, chatJoinFrame, FrameCounter } = await import("../lib/wire.mjs");
  const { createBinaryProtocol } = await import("@taurus/protocol-binary");
  const c = config();
  const port = Number(c.port);
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
  const receivers = await connectMany(port, count);
  for (const socket of receivers) socket.write(chatHeartbeatFrame()); // speak first, as chat clients do
  const sender = await connect(port);
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
  // worker each one is on), so no worker's backlog grows without bound.
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
