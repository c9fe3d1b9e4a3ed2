// Real processes for the end-to-end tests: a chat-server, chat-clients driven through
// stdin, and a proxy that cuts connections. Everything is killed after each test.
import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";
import net from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { until } from "@taurus/core-conn/testing";
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
  exited(): Promise<number | null> {
    return new Promise((r) => {
      if (this.proc.exitCode !== null) r(this.proc.exitCode);
      else this.proc.once("exit", (code) => r(code));
    });
  }
}

/** A TCP proxy on 127.0.0.1 to `target` that can cut every connection through it. */
export async function startCutProxy(target: number): Promise<{ port: number; cut(): number }> {
  const pairs = new Set<[net.Socket, net.Socket]>();
  const server = net.createServer((client) => {
    const upstream = net.connect({ host: "127.0.0.1", port: target });
    const pair: [net.Socket, net.Socket] = [client, upstream];
    pairs.add(pair);
    const drop = (): void => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on("error", drop).on("close", drop);
    upstream.on("error", drop).on("close", drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const cut = (): number => {
    const n = pairs.size;
    for (const [a, b] of [...pairs]) {
      a.resetAndDestroy();
      b.resetAndDestroy();
    }
    pairs.clear();
    return n;
  };
  cleanups.push(() => {
    cut();
    server.close();
  });
  return { port: (server.address() as net.AddressInfo).port, cut };
}
