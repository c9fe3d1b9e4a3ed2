// What every server under test shares: it prints its port to the parent over IPC, reports
// its memory (after a full gc), live connections and handles on request, and stops on request.

import { writeHeapSnapshot } from "node:v8";

/**
 * @typedef {object} ServerUnderTest
 * @property {() => Promise<number>} listen binds 127.0.0.1:0 and returns the port
 * @property {() => number} connections live connections
 * @property {() => Promise<void>} close stops listening and drops every connection
 */

/** @type {Record<string, number>} */
export const errors = {};

/** @param {string} code */
export function countError(code) {
  errors[code] = (errors[code] ?? 0) + 1;
}

/** @returns {Promise<void>} */
async function fullGc() {
  const gc = /** @type {(() => void) | undefined} */ (globalThis.gc);
  if (!gc) return;
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** @returns {Record<string, number>} active resources (handles, requests, timers) by type */
function handles() {
  /** @type {Record<string, number>} */
  const byType = {};
  for (const type of process.getActiveResourcesInfo()) byType[type] = (byType[type] ?? 0) + 1;
  return byType;
}

/** @type {import("node:inspector").Session | undefined} */
let inspector;

/**
 * Starts the CPU profiler, or stops it and writes the profile to `path`.
 * @param {string} action "start" or "stop"
 * @param {string} [path]
 * @returns {Promise<Record<string, unknown>>}
 */
async function profile(action, path) {
  const { Session } = await import("node:inspector");
  const post = (/** @type {string} */ method) =>
    new Promise((resolve, reject) => {
      /** @type {import("node:inspector").Session} */ (inspector).post(method, (err, result) =>
        err ? reject(err) : resolve(result),
      );
    });
  if (action === "start") {
    inspector ??= new Session();
    inspector.connect();
    await post("Profiler.enable");
    await post("Profiler.start");
    return { started: true };
  }
  const { profile: data } = /** @type {{ profile: unknown }} */ (await post("Profiler.stop"));
  const { writeFileSync } = await import("node:fs");
  writeFileSync(/** @type {string} */ (path), JSON.stringify(data));
  inspector?.disconnect();
  return { path };
}

/** @param {ServerUnderTest} server */
export async function serve(server) {
  const send = (/** @type {Record<string, unknown>} */ msg) => process.send?.(msg);
  process.on("message", async (m) => {
    const msg = /** @type {{ type: string }} */ (m);
    if (msg.type === "stats") {
      await fullGc();
      send({
        type: "stats",
        memory: process.memoryUsage(),
        connections: server.connections(),
        handles: handles(),
        errors,
      });
    } else if (msg.type === "snapshot") {
      // A heap snapshot (after a full gc) into the file the parent names, for the
      // per-connection breakdown of the idle scenario.
      await fullGc();
      const path = writeHeapSnapshot(/** @type {{ path: string }} */ (m).path);
      send({ type: "snapshot", path });
    } else if (msg.type === "cpu") {
      // CPU time of this process so far (µs), without a gc: read around a run.
      const { user, system } = process.cpuUsage();
      send({ type: "cpu", micros: user + system });
    } else if (msg.type === "profile") {
      // A CPU profile of just the window between "start" and "stop" (the profile scripts:
      // the steady state, without connecting, warming up or shutting down).
      const { action, path } = /** @type {{ action: string, path?: string }} */ (m);
      const result = await profile(action, path);
      send({ type: "profile", ...result });
    } else if (msg.type === "stop") {
      /** @type {NodeJS.Timeout | undefined} */
      let timer;
      const deadline = new Promise((resolve) => {
        timer = setTimeout(resolve, 3000);
      });
      await Promise.race([server.close(), deadline]);
      clearTimeout(timer);
      process.exit(0);
    }
  });
  process.on("disconnect", () => process.exit(0));
  const port = await server.listen();
  send({ type: "listening", port });
}

/** @returns {"echo" | "broadcast"} the mode given on the command line */
export function mode() {
  return process.argv[2] === "broadcast" ? "broadcast" : "echo";
}
