/**
 * Test helpers: a throwaway `redis-server` (from the PATH) on a free loopback
 * port, for tests of code that uses the Redis adapter.
 *
 * @module
 */
import { type ChildProcess, spawn } from "node:child_process";
import net from "node:net";

/** A running redis-server. */
export interface TestRedis {
  /** The port it listens on, on 127.0.0.1. */
  port: number;
  /** `redis://127.0.0.1:<port>`. */
  url: string;
  /** Stops it (SIGKILL) and waits for it to exit. */
  stop(): Promise<void>;
  /** Starts it again on the same port (after `stop`). */
  restart(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function launch(port: number): Promise<ChildProcess> {
  const proc = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
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
 * Starts `redis-server` on a free port of 127.0.0.1, with no persistence.
 * Stop it when done (`stop()`), or it outlives the test.
 *
 * @returns the running server
 * @throws an `Error` when `redis-server` is not on the PATH or does not start within 10 s
 */
export async function startRedis(): Promise<TestRedis> {
  const port = await freePort();
  let proc: ChildProcess | undefined = await launch(port);
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      const p = proc;
      proc = undefined;
      if (!p || p.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => p.once("exit", () => resolve()));
      p.kill("SIGKILL");
      await exited;
    },
    async restart() {
      proc = await launch(port);
    },
  };
}
