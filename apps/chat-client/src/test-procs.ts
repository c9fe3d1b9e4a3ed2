// Real processes for the end-to-end tests: a chat-server, chat-clients driven through
// stdin, and a proxy that cuts connections. Everything is killed after each test.
import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  type CutProxy,
  startCutProxy as startCoreCutProxy,
  until,
} from "@taurus/core-conn/testing";
import { afterEach } from "vitest";

const clientMain = fileURLToPath(new URL("../dist/main.js", import.meta.url));
const serverMain = join(
  dirname(createRequire(import.meta.url).resolve("@taurus/chat-server/package.json")),
  "dist/main.js",
);
const procs: ChildProcess[] = [];
const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const p of procs.splice(0)) p.kill("SIGKILL");
  for (const fn of cleanups.splice(0)) fn();
});

export interface Ports {
  json: number;
  binary: number;
  metrics: number;
}

export interface Server {
  proc: ChildProcess;
  ports: Ports;
  logs: Array<Record<string, unknown>>;
}

export function startServer(ports: Ports): Promise<Server> {
  const logs: Array<Record<string, unknown>> = [];
  const proc = spawn(
    process.execPath,
    [
      serverMain,
      "--log-level",
      "debug",
      "--host",
      "127.0.0.1",
      "--json-port",
      `${ports.json}`,
      "--binary-port",
      `${ports.binary}`,
      "--metrics-port",
      `${ports.metrics}`,
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  procs.push(proc);
  return new Promise((resolve, reject) => {
    let text = "";
    proc.stderr?.on("data", (chunk: Buffer) => {
      text += chunk.toString();
      let nl = text.indexOf("\n");
      while (nl !== -1) {
        const entry = JSON.parse(text.slice(0, nl)) as Record<string, unknown> & Ports;
        text = text.slice(nl + 1);
        logs.push(entry);
        if (entry.msg === "listening") {
          const { json, binary, metrics } = entry;
          resolve({ proc, logs, ports: { json, binary, metrics } });
        }
        nl = text.indexOf("\n");
      }
    });
    proc.once("exit", (code) => reject(new Error(`chat-server exited with ${code}: ${text}`)));
  });
}

export class ChatClient {
  readonly proc: ChildProcess;
  output = "";
  constructor(args: string[], env: NodeJS.ProcessEnv = { ...process.env, LANG: "C.UTF-8" }) {
    this.proc = spawn(process.execPath, [clientMain, ...args], {
      stdio: ["pipe", "pipe", "pipe"],
      env,
    });
    procs.push(this.proc);
    this.proc.stdout?.on("data", (c: Buffer) => {
      this.output += c.toString();
    });
    this.proc.stderr?.on("data", (c: Buffer) => {
      this.output += c.toString();
    });
  }
  type(line: string): void {
    this.proc.stdin?.write(`${line}\n`);
  }
  lines(): string[] {
    return this.output.split("\n").filter(Boolean);
  }
  async waitFor(text: string, count = 1, timeout = 20_000): Promise<void> {
    await until(() => this.output.split(text).length - 1 >= count, {
      timeout,
      interval: 20,
    }).catch(() => {
      throw new Error(`no ${JSON.stringify(text)} in:\n${this.output}`);
    });
  }
  /**
   * The exit code. With `within`, rejects after that many ms with the client's output
   * and the server's last log lines: a client that quits must not hang until its close
   * timeout (10 s), and if one does, the failure should say where it stood.
   */
  exited(within?: number, server?: Server): Promise<number | null> {
    return new Promise((resolve, reject) => {
      if (this.proc.exitCode !== null) return resolve(this.proc.exitCode);
      const timer =
        within === undefined
          ? undefined
          : setTimeout(() => {
              const logs = (server?.logs ?? []).slice(-30).map((l) => JSON.stringify(l));
              reject(
                new Error(
                  `the client had not exited after ${within} ms; its output:\n${this.output}\nthe server's last log lines:\n${logs.join("\n")}`,
                ),
              );
            }, within);
      this.proc.once("exit", (code) => {
        clearTimeout(timer);
        resolve(code);
      });
    });
  }
}

/** A cut proxy (`@taurus/core-conn/testing`) on 127.0.0.1 to `target`; closed after the test. */
export async function startCutProxy(target: number): Promise<CutProxy> {
  const proxy = await startCoreCutProxy(target);
  cleanups.push(() => void proxy.close());
  return proxy;
}
