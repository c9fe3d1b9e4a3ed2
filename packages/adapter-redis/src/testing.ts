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

/**
 * A free port of 127.0.0.1 below Linux's ephemeral range (32768-60999 by default), for a
 * test server that is stopped and started again on the same port, as {@link startRedis}'s
 * `restart()` does. A port from `listen(0)` is ephemeral: while its server is down, any
 * process's outgoing connection may take it as its local port, and the restart fails with
 * `EADDRINUSE`. The port is free when returned; nothing reserves it afterwards.
 *
 * @returns a port from 20000 to 31999 that was free a moment ago
 * @throws an `Error` when 50 random ports of that range were all taken
 */
export async function restartablePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const free = await new Promise<boolean>((resolve) => {
      const probe = net.createServer();
      probe.once("error", () => resolve(false));
      probe.listen(port, "127.0.0.1", () => probe.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error("restartablePort: no free port in 20000..31999 after 50 tries");
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
 * Starts `redis-server` on a free port of 127.0.0.1 (below the ephemeral
 * range: see {@link restartablePort}), with no persistence unless asked.
 * Stop it when done (`stop()`), or it outlives the test.
 *
 * @param options - see {@link TestRedisOptions}; @defaultValue none
 * @returns the running server
 * @throws an `Error` when `redis-server` is not on the PATH or does not start within 10 s
 */
export async function startRedis(options: TestRedisOptions = {}): Promise<TestRedis> {
  const port = await restartablePort();
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
