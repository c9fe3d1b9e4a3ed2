// What every load generator shares: its configuration (argv), its result (IPC), clean exit.
import net from "node:net";

/** @returns {Record<string, unknown>} the configuration the parent passed as JSON */
export function config() {
  return JSON.parse(process.argv[2] ?? "{}");
}

/** @type {Set<{ destroy(): void }>} */
const open = new Set();

/**
 * Remembers a socket (or ws client) to destroy on exit.
 * @template {{ destroy(): void }} T
 * @param {T} socket
 * @returns {T}
 */
export function track(socket) {
  open.add(socket);
  return socket;
}

/** @param {{ destroy(): void }} socket */
export function untrack(socket) {
  open.delete(socket);
}

/** Destroys every tracked socket. */
export function destroyAll() {
  for (const socket of open) socket.destroy();
  open.clear();
}

/** @param {Record<string, unknown>} msg */
export function send(msg) {
  process.send?.(msg);
}

/** Sends the result and exits once the parent has it. */
export function finish(/** @type {Record<string, unknown>} */ result) {
  destroyAll();
  send({ type: "result", ...result });
  setTimeout(() => process.exit(0), 100);
}

process.on("message", (m) => {
  if (/** @type {{ type: string }} */ (m).type === "stop") {
    destroyAll();
    process.exit(0);
  }
});
process.on("disconnect", () => process.exit(0));

/**
 * Opens a TCP connection to 127.0.0.1:port.
 * @param {number} port
 * @returns {Promise<net.Socket>}
 */
export function connect(port) {
  return new Promise((resolve, reject) => {
    const socket = track(net.connect({ host: "127.0.0.1", port, noDelay: true }));
    socket.once("connect", () => {
      socket.off("error", reject);
      socket.on("error", () => {});
      resolve(socket);
    });
    socket.once("error", reject);
  });
}

/**
 * Opens `count` connections, at most `parallel` at a time.
 * @param {number} port
 * @param {number} count
 * @param {number} [parallel]
 * @returns {Promise<net.Socket[]>}
 */
export async function connectMany(port, count, parallel = 200) {
  /** @type {net.Socket[]} */
  const sockets = [];
  for (let i = 0; i < count; i += parallel) {
    const batch = Math.min(parallel, count - i);
    sockets.push(...(await Promise.all(Array.from({ length: batch }, () => connect(port)))));
  }
  return sockets;
}

/** @param {number} ms */
export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Runs `measure` between a warm-up and the end of a fixed window; returns elapsed seconds.
 * @param {number} warmupMs
 * @param {number} durationMs
 * @param {(phase: "start" | "end") => void} mark
 * @returns {Promise<number>}
 */
export async function window(warmupMs, durationMs, mark) {
  await sleep(warmupMs);
  const t0 = process.hrtime.bigint();
  mark("start");
  await sleep(durationMs);
  mark("end");
  return Number(process.hrtime.bigint() - t0) / 1e9;
}
