// Spawning of servers and load generators as child processes, talking over IPC, each with a
// deadline: nothing is left running when the bench ends, whatever happens.
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** @type {Set<Child>} */
const live = new Set();

/** @typedef {{ type: string, [key: string]: unknown }} Message */

/** A child process with a typed message inbox. */
export class Child {
  /**
   * @param {string} file path relative to the bench package
   * @param {string[]} args
   * @param {string[]} execArgv
   */
  constructor(file, args, execArgv) {
    this.file = file;
    this.proc = fork(ROOT + file, args, {
      execArgv,
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    /** @type {Message[]} */
    this.inbox = [];
    /** @type {((m: Message) => void) | undefined} */
    this.waiter = undefined;
    this.exited = new Promise((resolve) => {
      this.proc.once("exit", (code, signal) => {
        live.delete(this);
        resolve(code ?? signal);
        this.waiter?.({ type: "exit", code: code ?? signal });
      });
    });
    this.proc.on("message", (m) => {
      const msg = /** @type {Message} */ (m);
      if (this.waiter) this.waiter(msg);
      else this.inbox.push(msg);
    });
    live.add(this);
  }

  /** @param {Message} msg */
  send(msg) {
    if (this.proc.connected) this.proc.send(msg);
  }

  /**
   * The next message of `type` (others are dropped), within `timeoutMs`.
   * @param {string} type
   * @param {number} timeoutMs
   * @returns {Promise<Message>}
   */
  next(type, timeoutMs) {
    const queued = this.inbox.findIndex((m) => m.type === type);
    if (queued >= 0) return Promise.resolve(this.inbox.splice(queued, 1)[0]);
    this.inbox = [];
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new Error(`${this.file}: no "${type}" within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiter = (m) => {
        if (m.type !== type && m.type !== "exit") return;
        clearTimeout(timer);
        this.waiter = undefined;
        if (m.type === "exit") reject(new Error(`${this.file} exited (${String(m.code)})`));
        else resolve(m);
      };
    });
  }

  /**
   * Sends a request and waits for the reply of the same type.
   * @param {Message} msg
   * @param {number} [timeoutMs]
   * @returns {Promise<Message>}
   */
  request(msg, timeoutMs = 30_000) {
    const reply = this.next(msg.type, timeoutMs);
    this.send(msg);
    return reply;
  }

  /**
   * Asks the child to stop, then kills it if it has not exited within `graceMs`.
   * @param {number} [graceMs]
   */
  async stop(graceMs = 10_000) {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    this.send({ type: "stop" });
    const timer = setTimeout(() => this.proc.kill("SIGKILL"), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

/**
 * Starts a server script of bench/servers and waits for its port.
 * @param {string} name e.g. "taurus-binary"
 * @param {string} mode "echo" or "broadcast"
 * @param {{ profileDir?: string }} [options]
 * @returns {Promise<{ child: Child, port: number }>}
 */
export async function startServer(name, mode, options = {}) {
  const execArgv = ["--expose-gc"];
  if (options.profileDir) execArgv.push("--cpu-prof", `--cpu-prof-dir=${options.profileDir}`);
  const child = new Child(`servers/${name}.mjs`, [mode], execArgv);
  try {
    const { port } = await child.next("listening", 10_000);
    return { child, port: /** @type {number} */ (port) };
  } catch (err) {
    await child.stop(1000);
    throw err;
  }
}

/**
 * Starts a generator script of bench/generators with its configuration.
 * @param {string} name e.g. "echo"
 * @param {Record<string, unknown>} config
 * @returns {Child}
 */
export function startGenerator(name, config) {
  return new Child(`generators/${name}.mjs`, [JSON.stringify(config)], ["--expose-gc"]);
}

/**
 * Runs a generator to completion and returns its `result` message.
 * @param {string} name
 * @param {Record<string, unknown>} config
 * @param {number} timeoutMs
 * @returns {Promise<Message>}
 */
export async function runGenerator(name, config, timeoutMs) {
  const child = startGenerator(name, config);
  try {
    return await child.next("result", timeoutMs);
  } finally {
    await child.stop(5000);
  }
}

/** Kills whatever is still running (on an error or a signal). */
export function killAll() {
  for (const child of live) child.proc.kill("SIGKILL");
}
