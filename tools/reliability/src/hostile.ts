// Helpers of the hostile suite: attackers and legitimate users on different
// loopback addresses (so per-address limits are tested honestly), a latency
// probe for users, a memory-budget sampler, and chat-server as a real process.
import { type ChildProcess, spawn } from "node:child_process";
import net from "node:net";
import { fileURLToPath } from "node:url";
import { Connection, type ConnectionOptions } from "@taurus/core-conn";
import { createJsonProtocol, type JsonMessage } from "@taurus/protocol-json";
import { DEFAULT_RATE_LIMIT, type TaurusServer } from "@taurus/server";
import { type Kit, onCleanup, until } from "./harness";

/** The report section of every hostile case. */
export const HOSTILE = "Hostile peers, default options";

/**
 * What the hostile cases give the harness's `startServer`: the server's own
 * default rate limit (the harness turns it off), and a short shutdown, since
 * what attackers left unread is not worth waiting for at the end of a case.
 */
export const DEFAULTS = { rateLimit: DEFAULT_RATE_LIMIT, shutdownTimeout: 500 } as const;

/** The legitimate user's address. Attackers use others. */
export const USER = "127.0.0.3";

/**
 * The address of attacker connection `i` when each address holds `per`
 * connections: 127.0.0.2 first, then 127.0.1.1, 127.0.1.2... (never 127.0.0.1,
 * which is trusted by default, nor the user's).
 */
export function attackerAddress(i: number, per = 32): string {
  const n = Math.floor(i / per);
  if (n === 0) return "127.0.0.2";
  return `127.0.${1 + Math.floor((n - 1) / 250)}.${1 + ((n - 1) % 250)}`;
}

/** A plain socket to 127.0.0.1:port from `localAddress`; destroyed after the test. */
export async function socketFrom(
  port: number,
  localAddress: string,
  read = true,
): Promise<net.Socket> {
  const socket = net.connect({ host: "127.0.0.1", port, localAddress, allowHalfOpen: false });
  socket.on("error", () => {});
  if (read) socket.resume();
  onCleanup(() => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  return socket;
}

/** A client-side Connection from `localAddress`; closed after the test. */
export async function connectionFrom<M>(
  kit: Kit<M>,
  port: number,
  localAddress: string,
  options: ConnectionOptions = {},
): Promise<Connection<M>> {
  const socket = net.connect({ host: "127.0.0.1", port, localAddress, allowHalfOpen: true });
  const conn = new Connection(socket, kit.protocol, { idleTimeout: 0, ...options });
  conn.on("error", () => {});
  onCleanup(() => conn.destroy());
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  return conn;
}

/** The `p` quantile (0..1) of `values`; 0 for none. */
export function quantile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number;
}

/** What a legitimate user saw. */
export interface UserReport {
  sent: number;
  received: number;
  inOrder: boolean;
  /** Round trips in ms. */
  p50: number;
  p99: number;
  max: number;
  /** The code its connection was closed with, if it was. */
  closedWith: string | undefined;
}

/**
 * A legitimate user from `from`: sends one message every `interval` ms to an
 * echo server and times every round trip.
 */
export async function startUser<M>(
  kit: Kit<M>,
  port: number,
  from = USER,
  interval = 20,
): Promise<{ stop(timeout?: number): Promise<UserReport> }> {
  const conn = await connectionFrom(kit, port, from);
  const sentAt: number[] = [];
  const rtts: number[] = [];
  let received = 0;
  let inOrder = true;
  let closedWith: string | undefined;
  conn.on("close", (e) => {
    closedWith = e?.code ?? "clean";
  });
  conn.on("message", (m) => {
    const seq = kit.sequence(m);
    if (seq !== received + 1) inOrder = false;
    received++;
    rtts.push(performance.now() - (sentAt[seq - 1] ?? performance.now()));
  });
  const timer = setInterval(() => {
    if (conn.state !== "open") return;
    try {
      conn.send(kit.message(sentAt.length + 1, "user"));
      sentAt.push(performance.now());
    } catch {
      // not accepted by send: not counted as sent
    }
  }, interval);
  onCleanup(() => clearInterval(timer));
  return {
    async stop(timeout = 15_000): Promise<UserReport> {
      clearInterval(timer);
      await until(
        () => received >= sentAt.length || conn.state === "closed",
        timeout,
        "user echoes",
      ).catch(() => {});
      return {
        sent: sentAt.length,
        received,
        inOrder,
        p50: Math.round(quantile(rtts, 0.5)),
        p99: Math.round(quantile(rtts, 0.99)),
        max: Math.round(quantile(rtts, 1)),
        closedWith,
      };
    },
  };
}

/** Samples a server's memory budget every 5 ms: the peak of bytes held for peers. */
export function sampleBudget<M>(server: TaurusServer<M>): { readonly peak: number; stop(): void } {
  const state = { peak: 0 };
  const timer = setInterval(() => {
    state.peak = Math.max(state.peak, server.memoryBudget.used);
  }, 5);
  onCleanup(() => clearInterval(timer));
  return {
    get peak() {
      return state.peak;
    },
    stop: () => clearInterval(timer),
  };
}

/** Event-loop lag: the worst delay of a 10 ms timer while it runs. */
export function sampleLag(): { stop(): { max: number; p99: number } } {
  const lags: number[] = [];
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    lags.push(Math.max(0, now - last - 10));
    last = now;
  }, 10);
  onCleanup(() => clearInterval(timer));
  return {
    stop() {
      clearInterval(timer);
      return { max: Math.round(quantile(lags, 1)), p99: Math.round(quantile(lags, 0.99)) };
    },
  };
}

// ------------------------------------------------------------------ chat-server

const chatMain = fileURLToPath(new URL("../../../apps/chat-server/dist/main.js", import.meta.url));

/** chat-server as a real process on 127.0.0.1, with its log lines. */
export interface ChatProcess {
  proc: ChildProcess;
  json: number;
  binary: number;
  metrics: number;
  /** Every log line, parsed. */
  logs: Array<Record<string, unknown>>;
}

/** Starts the built chat-server with `args` (after its defaults); killed after the test. */
export function startChat(args: string[] = []): Promise<ChatProcess> {
  const proc = spawn(
    process.execPath,
    [
      chatMain,
      "--host",
      "127.0.0.1",
      "--json-port",
      "0",
      "--binary-port",
      "0",
      "--metrics-port",
      "0",
      ...args,
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  onCleanup(() => proc.kill("SIGKILL"));
  const logs: Array<Record<string, unknown>> = [];
  return new Promise((resolve, reject) => {
    let buffered = "";
    proc.stderr?.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      let nl = buffered.indexOf("\n");
      while (nl !== -1) {
        const entry = JSON.parse(buffered.slice(0, nl)) as Record<string, unknown>;
        buffered = buffered.slice(nl + 1);
        logs.push(entry);
        if (entry.msg === "listening") {
          resolve({
            proc,
            logs,
            json: entry.json as number,
            binary: entry.binary as number,
            metrics: entry.metrics as number,
          });
        }
        nl = buffered.indexOf("\n");
      }
    });
    proc.once("exit", (code) => reject(new Error(`chat-server exited with ${code}`)));
  });
}

/** One chat message as the JSON protocol carries it. */
export interface Chat {
  type: number;
  sequence: number;
  from: string;
  content: string;
}

const chatJson = createJsonProtocol();

/** A chat peer over the JSON protocol from `from`; `inbox` has what it received. */
export async function chatPeer(port: number, from: string) {
  const socket = net.connect({ host: "127.0.0.1", port, localAddress: from, allowHalfOpen: true });
  const conn = new Connection(socket, chatJson, { idleTimeout: 0 });
  conn.on("error", () => {});
  onCleanup(() => conn.destroy());
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  const inbox: Array<Chat & { at: number }> = [];
  conn.on("message", (m: JsonMessage) => {
    const data = (m.data ?? {}) as Record<string, unknown>;
    inbox.push({
      type: m.type,
      sequence: m.sequence,
      from: String(data.from ?? ""),
      content: String(data.content ?? ""),
      at: performance.now(),
    });
  });
  let sequence = 0;
  return {
    conn,
    inbox,
    send(type: number, name: string, content: string): void {
      sequence = (sequence % 0xffffffff) + 1;
      conn.send({ type, sequence, data: { from: name, to: "", content }, timestamp: 0n });
    },
  };
}

/** Scrapes one metric value (first sample of `name`) from chat-server's /metrics. */
export async function chatMetric(metricsPort: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line ? Number(line.slice(line.lastIndexOf(" ") + 1)) : Number.NaN;
}
