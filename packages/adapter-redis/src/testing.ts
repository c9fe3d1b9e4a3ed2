/**
 * Test helpers: a throwaway `redis-server` (from the PATH) on a free loopback
 * port, for tests of code that uses the Redis adapter.
 *
 * @module
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A running redis-server. */
export interface TestRedis {
  /** The port it listens on, on 127.0.0.1. */
  port: number;
  /** `redis://127.0.0.1:<port>`. */
  url: string;
  /** The server's process id while it runs (to stop or freeze it from a test). */
  readonly pid: number | undefined;
  /** Stops it (SIGKILL: nothing is flushed) and waits for it to exit; its data directory stays for `restart`. */
  stop(): Promise<void>;
  /** Starts it again on the same port (after `stop`), with the same options (and, with persistence, its data). */
  restart(): Promise<void>;
}

/** Options of {@link startRedis}. */
export interface TestRedisOptions {
  /**
   * `true`: an append-only file fsynced on every write (`appendfsync always`)
   * in a temporary directory, so that what Redis acknowledged survives a
   * SIGKILL and `restart()` loads it again.
   * @defaultValue `false`: no persistence at all
   */
  persistence?: boolean;
  /** More `redis-server` arguments, e.g. `["--client-output-buffer-limit", "pubsub 1mb 0 0"]`. @defaultValue none */
  args?: string[];
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function launch(port: number, args: string[]): Promise<ChildProcess> {
  const proc = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", ...args],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => {
      proc.kill("SIGKILL");
      reject(new Error(`redis-server did not start: ${out}`));
    }, 10_000);
    proc.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes("Ready to accept connections")) {
        clearTimeout(timer);
        proc.stdout?.removeAllListeners("data");
        proc.stdout?.resume();
        resolve(proc);
      }
    });
    proc.once("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    proc.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with ${code}: ${out}`));
    });
  });
}

/**
 * Starts `redis-server` on a free port of 127.0.0.1, with no persistence
 * unless asked. Stop it when done (`stop()`), or it outlives the test.
 *
 * @param options - see {@link TestRedisOptions}; @defaultValue none
 * @returns the running server
 * @throws an `Error` when `redis-server` is not on the PATH or does not start within 10 s
 */
export async function startRedis(options: TestRedisOptions = {}): Promise<TestRedis> {
  const port = await freePort();
  const args = [...(options.args ?? [])];
  if (options.persistence) {
    const dir = mkdtempSync(join(tmpdir(), "taurus-redis-"));
    process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
    args.push("--dir", dir, "--appendonly", "yes", "--appendfsync", "always");
  } else {
    args.push("--appendonly", "no");
  }
  let proc: ChildProcess | undefined = await launch(port, args);
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get pid() {
      return proc?.pid;
    },
    async stop() {
      const p = proc;
      proc = undefined;
      if (!p || p.exitCode !== null || p.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => p.once("exit", () => resolve()));
      p.kill("SIGKILL");
      await exited;
    },
    async restart() {
      proc = await launch(port, args);
    },
  };
}
