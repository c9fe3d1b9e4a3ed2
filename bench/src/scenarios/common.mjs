// Shared by the scenarios: run a body against a server started for it, always stopping it.
import { startServer } from "../lib/proc.mjs";

/**
 * @typedef {object} Settings
 * @property {boolean} quick
 * @property {string | undefined} profileDir where Taurus servers write CPU profiles, if set
 * @property {number | undefined} [rounds] rounds of the interleaved scenarios, when given
 */

/**
 * @template T
 * @param {string} name a script of bench/servers
 * @param {"echo" | "broadcast"} mode
 * @param {Settings} settings
 * @param {(server: { child: import("../lib/proc.mjs").Child, port: number }) => Promise<T>} body
 * @returns {Promise<T>}
 */
export async function withServer(name, mode, settings, body) {
  const profileDir = name.startsWith("taurus") ? settings.profileDir : undefined;
  const server = await startServer(name, mode, { profileDir });
  try {
    return await body(server);
  } finally {
    await server.child.stop();
  }
}

/**
 * The server's errors, as counted by its harness.
 * @param {import("../lib/proc.mjs").Child} child
 * @returns {Promise<Record<string, number>>}
 */
export async function serverErrors(child) {
  const stats = await child.request({ type: "stats" });
  return /** @type {Record<string, number>} */ (stats.errors);
}

/** @param {string} line */
export function log(line) {
  process.stderr.write(`${line}\n`);
}
