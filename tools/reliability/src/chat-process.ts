// Scale-out cases: the built chat-server as real processes (killed, frozen, restarted by the
// cases), chat clients on 127.0.0.1, and what the servers say on /metrics, /readyz and stderr.
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import net from "node:net";
import { fileURLToPath } from "node:url";
import { Connection } from "@taurus/core-conn";
import { createJsonProtocol, type JsonMessage } from "@taurus/protocol-json";
import { onCleanup, until } from "./harness";

const MAIN = fileURLToPath(new URL("../../../apps/chat-server/dist/main.js", import.meta.url));

/** A running chat-server. */
export interface ChatProcess {
  proc: ChildProcess;
  json: number;
  binary: number;
  metrics: number;
  logs: Array<Record<string, unknown>>;
  /** Resolves with the exit code once the process exited. */
  exited: Promise<number | null>;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

/**
 * Starts chat-server on 127.0.0.1 (ports 0 unless given in `args`); resolves once it listens.
 * `onLog` sees every log line as it comes, with those before it.
 */
export function startChat(
  args: string[],
  onLog?: (logs: Array<Record<string, unknown>>) => void,
): Promise<ChatProcess> {
  const proc = spawn(
    process.execPath,
    [MAIN, "--host", "127.0.0.1", "--json-port", "0", "--binary-port", "0", "--metrics-port", "0"]
      // These cases measure the backplane and supervision under load, not the input limits
      // (hostile-*.test.ts covers those): one generator may send as fast as it can, with
      // 16 KiB messages that a 64 KiB send queue (the default) would refuse in bursts.
      .concat(["--rate-limit", "inf", "--max-connections", "10000"])
      .concat(["--inbound-bytes-per-second", "inf", "--message-rate-per-address", "inf"])
      .concat(["--send-queue-bytes", "16MiB"])
      .concat(args),
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  onCleanup(() => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill("SIGCONT");
      proc.kill("SIGKILL");
    }
  });
  const logs: Array<Record<string, unknown>> = [];
  const exited = new Promise<number | null>((resolve) =>
    proc.once("exit", (code) => resolve(code)),
  );
  return new Promise((resolve, reject) => {
    let buffered = "";
    proc.stderr?.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      for (let nl = buffered.indexOf("\n"); nl !== -1; nl = buffered.indexOf("\n")) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        // Not a log line: a crash's stack trace (kept, so a failing case can show it).
        let entry: Record<string, unknown>;
        try {
          entry = JSON.parse(line) as Record<string, unknown>;
        } catch {
          entry = { level: "stderr", msg: "not a log line", line };
        }
        logs.push(entry);
        onLog?.(logs);
        if (entry.msg === "listening") {
          resolve({
            proc,
            logs,
            exited,
            json: entry.json as number,
            binary: entry.binary as number,
            metrics: entry.metrics as number,
            stop: () => {
              proc.kill("SIGTERM");
              return exited;
            },
          });
        }
      }
    });
    proc.once("exit", (code) =>
      reject(new Error(`chat-server exited with ${code}: ${JSON.stringify(logs)}`)),
    );
  });
}

/** The sum over instances of each series on /metrics (fresh within the endpoint's 1 s cache). */
export async function metrics(port: number): Promise<Record<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const sums: Record<string, number> = {};
  for (const line of text.split("\n")) {
    const m = /^(taurus_\w+)(?:\{[^}]*\})? (\S+)$/.exec(line);
    if (m) sums[m[1] as string] = (sums[m[1] as string] ?? 0) + Number(m[2]);
  }
  return sums;
}

/** /readyz: status code and detail. */
export async function readyz(
  port: number,
): Promise<{ status: number; detail: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${port}/readyz`);
  return { status: res.status, detail: (await res.json()) as Record<string, unknown> };
}

/** Resident memory of a process, in bytes (Linux). */
export function rss(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}

/** A chat client speaking JSON: numbered messages out, contents in. */
export interface ChatClient {
  conn: Connection<JsonMessage>;
  /** The local port (kept after the socket is gone). */
  port: number;
  /** Contents of user messages received, in order. */
  inbox: string[];
  /** System messages received. */
  notices: string[];
  /** Bytes received. */
  bytes: number;
  /** How the connection ended: "end" (clean), an error code ("ECONNRESET"), or undefined while open. */
  ended: string | undefined;
  send(content: string): boolean;
}

let clients = 0;

/** Connects a chat client; `slow` reads one chunk per `slow` ms. */
export async function chatClient(
  port: number,
  options: { localAddress?: string; slow?: number } = {},
): Promise<ChatClient> {
  const socket = net.connect({
    host: "127.0.0.1",
    port,
    localAddress: options.localAddress,
    allowHalfOpen: true,
  });
  const conn = new Connection<JsonMessage>(socket, createJsonProtocol(), {
    idleTimeout: 0,
    sendQueueSize: 1_000_000,
    sendQueueBytes: 2 ** 30,
  });
  onCleanup(() => conn.destroy());
  const client: ChatClient = {
    conn,
    port: 0,
    inbox: [],
    notices: [],
    bytes: 0,
    ended: undefined,
    send: (content) =>
      conn.send({
        type: 2,
        sequence: 1,
        data: { from: "load", to: "", content },
        timestamp: 0n,
      }),
  };
  conn.on("error", () => {});
  socket.on("error", (e: NodeJS.ErrnoException) => {
    client.ended ??= e.code ?? "error";
  });
  socket.on("end", () => {
    client.ended ??= "end";
  });
  socket.on("data", (chunk: Buffer) => {
    client.bytes += chunk.length;
  });
  conn.on("message", (m) => {
    const content = typeof m.data?.content === "string" ? m.data.content : "";
    if (m.type === 2) client.inbox.push(content);
    else if (m.type === 1) client.notices.push(content);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  client.port = socket.localPort ?? 0;
  // A join first, under a name of its own: the room relays nothing from a peer before
  // one, and a client that never sends a byte is closed by the server's first-byte
  // deadline (these clients mostly read).
  conn.send({
    type: 1,
    sequence: 1,
    data: { from: `load${++clients}`, to: "", content: "加入了聊天室" },
    timestamp: 0n,
  });
  if (options.slow) {
    const every = options.slow;
    let timer: NodeJS.Timeout | undefined;
    onCleanup(() => clearTimeout(timer));
    socket.on("data", () => {
      socket.pause();
      timer = setTimeout(() => socket.resume(), every);
    });
  }
  return client;
}

/** Sends numbered messages ("1:pad", "2:pad"...) every `every` ms until stopped. */
export function sender(client: ChatClient, every: number, pad = 0) {
  const padding = ":".padEnd(pad + 1, "x");
  let sent = 0;
  const timer = setInterval(() => {
    if (client.conn.state === "open" && client.send(`${sent + 1}${padding}`)) sent++;
  }, every);
  onCleanup(() => clearInterval(timer));
  return {
    get sent() {
      return sent;
    },
    stop: () => clearInterval(timer),
  };
}

/** The numbers in a client's inbox ("12:xxx" is 12). */
export function numbers(client: ChatClient): number[] {
  return client.inbox.map((c) => Number.parseInt(c, 10));
}

/** Each number once, in increasing order. */
export function inOrderOnce(ns: number[]): boolean {
  return ns.every((n, i) => i === 0 || n > (ns[i - 1] as number));
}

/** Waits until a log line with `msg` (and the fields given) appears. */
export async function logged(
  server: ChatProcess,
  msg: string,
  timeout = 15_000,
): Promise<Record<string, unknown>> {
  let found: Record<string, unknown> | undefined;
  await until(
    () => {
      found = server.logs.find((l) => l.msg === msg);
      return found !== undefined;
    },
    timeout,
    `log line "${msg}"`,
  );
  return found as Record<string, unknown>;
}
