// Test helpers: the built chat-server as real processes, and chat peers on 127.0.0.1.
import { type ChildProcess, spawn } from "node:child_process";
import net from "node:net";
import { fileURLToPath } from "node:url";
import { Connection, type Protocol } from "@taurus/core-conn";
import { until as waitUntil } from "@taurus/core-conn/testing";
import { type BinaryMessage, createBinaryProtocol } from "@taurus/protocol-binary";
import { createJsonProtocol, type JsonMessage } from "@taurus/protocol-json";
import { type ChatMessage, fromBinary, fromJson, toBinary, toJson } from "./chat";

const main = fileURLToPath(new URL("../dist/main.js", import.meta.url));

export interface Running {
  proc: ChildProcess;
  json: number;
  binary: number;
  metrics: number;
  logs: Array<Record<string, unknown>>;
  /** Resolves with the exit code after SIGTERM. */
  stop(): Promise<number | null>;
}

/** Starts chat-server with `args` on 127.0.0.1 and free ports; resolves once it listens. */
export function startChatServer(
  args: string[],
  cleanups: Array<() => unknown>,
  onLog?: (entry: Record<string, unknown>, logs: Array<Record<string, unknown>>) => void,
): Promise<Running> {
  const proc = spawn(
    process.execPath,
    [
      main,
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
  // SIGKILL of the primary leaves its workers to exit when their IPC channel closes.
  cleanups.push(() => proc.kill("SIGKILL"));
  const logs: Array<Record<string, unknown>> = [];
  const exited = new Promise<number | null>((r) => proc.once("exit", (code) => r(code)));
  return new Promise((resolve, reject) => {
    let buffered = "";
    proc.stderr?.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      let nl = buffered.indexOf("\n");
      while (nl !== -1) {
        const line = buffered.slice(0, nl);
        // Not a log entry (an uncaught error's stack, say): kept as text, so a failure shows it.
        const entry = line.startsWith("{")
          ? (JSON.parse(line) as Record<string, unknown>)
          : { msg: "stderr", text: line };
        buffered = buffered.slice(nl + 1);
        logs.push(entry);
        onLog?.(entry, logs);
        if (entry.msg === "listening") {
          resolve({
            proc,
            logs,
            json: entry.json as number,
            binary: entry.binary as number,
            metrics: entry.metrics as number,
            stop: () => {
              proc.kill("SIGTERM");
              return exited;
            },
          });
        }
        nl = buffered.indexOf("\n");
      }
    });
    proc.once("exit", (code) =>
      reject(new Error(`chat-server exited with ${code}: ${JSON.stringify(logs)}`)),
    );
  });
}

/** What the server wrote to stderr that was not a log entry (an uncaught error's stack): for a failed assertion's message. */
export function stderrOf(server: { logs: Array<Record<string, unknown>> }): string {
  const lines = server.logs.filter((l) => l.msg === "stderr").map((l) => String(l.text));
  return lines.length === 0 ? "stderr: no text besides the logs" : `stderr:\n${lines.join("\n")}`;
}

/** A chat peer speaking JSON or binary; `inbox` has what it received, as chat messages. */
export interface Peer {
  send(chat: ChatMessage): void;
  inbox: ChatMessage[];
  closed: boolean;
  close(): void;
}

let peers = 0;

/**
 * Connects a chat peer (from `options.localAddress`, default 127.0.0.1) and joins it as
 * `options.name` (default `peerN`, unique in the test process); `name: null`: not joined.
 */
export async function peer(
  port: number,
  kind: "json" | "binary",
  cleanups: Array<() => unknown>,
  options: { name?: string | null; localAddress?: string } = {},
): Promise<Peer> {
  const socket = net.connect({
    host: "127.0.0.1",
    port,
    localAddress: options.localAddress,
    allowHalfOpen: true,
  });
  await new Promise<void>((r, j) => {
    socket.once("connect", r);
    socket.once("error", j);
  });
  const inbox: ChatMessage[] = [];
  const p: Peer = { inbox, closed: false, send: () => {}, close: () => {} };
  if (kind === "json") {
    const conn = new Connection(socket, createJsonProtocol() as Protocol<JsonMessage>);
    conn.on("message", (m) => inbox.push(fromJson(m)));
    conn.on("close", () => {
      p.closed = true;
    });
    p.send = (chat) => void conn.send(toJson(chat));
    p.close = () => conn.destroy();
  } else {
    const conn = new Connection(socket, createBinaryProtocol() as Protocol<BinaryMessage>);
    conn.on("message", (m) => {
      const chat = fromBinary(m);
      if (chat) inbox.push(chat);
    });
    conn.on("close", () => {
      p.closed = true;
    });
    p.send = (chat) => void conn.send(toBinary(chat));
    p.close = () => conn.destroy();
  }
  cleanups.push(() => p.close());
  const name = options.name === undefined ? `peer${++peers}` : options.name;
  if (name !== null) p.send({ type: 1, sequence: 1, from: name, to: "", content: "加入了聊天室" });
  return p;
}

/** The shared `until` of `@taurus/core-conn/testing`, with the longer timeout these tests want. */
export const until = (predicate: () => boolean, timeout = 10_000): Promise<void> =>
  waitUntil(predicate, { timeout });

/** Each peer sends `n` user messages tagged `tag`; every peer must see each exactly once. */
export async function exchange(peers: Peer[], tag: string, n = 3): Promise<void> {
  const sent: string[] = [];
  peers.forEach((p, i) => {
    for (let k = 0; k < n; k++) {
      const content = `${tag}-${i}-${k}`;
      sent.push(content);
      p.send({ type: 2, sequence: k + 1, from: `p${i}`, to: "", content });
    }
  });
  const mine = (p: Peer) => p.inbox.filter((m) => m.type === 2 && m.content.startsWith(`${tag}-`));
  await until(() => peers.every((p) => mine(p).length >= sent.length)).catch(() => {
    const counts = peers.map((p) => mine(p).length);
    const missing = peers.map((p) => {
      const got = new Set(mine(p).map((m) => m.content));
      return sent.filter((s) => !got.has(s)).join(" ");
    });
    throw new Error(
      `${tag}: peers got ${counts.join(",")} of ${sent.length}; missing ${missing.join(" | ")}`,
    );
  });
  // Sentinels, not a sleep: each peer's last word, sent after its messages, reaches every
  // peer; a duplicate of anything sent before it would have arrived by then.
  const ends = peers.map((_, i) => `${tag}.end-${i}`);
  peers.forEach((p, i) => {
    p.send({ type: 2, sequence: n + 1, from: `p${i}`, to: "", content: ends[i] as string });
  });
  await until(() => peers.every((p) => ends.every((e) => p.inbox.some((m) => m.content === e))));
  for (const p of peers) {
    const got = mine(p)
      .map((m) => m.content)
      .sort();
    if (JSON.stringify(got) !== JSON.stringify([...sent].sort())) {
      throw new Error(`peer got ${got.length} of ${sent.length}: ${got.join(",")}`);
    }
  }
}

/** Waits until a probe from each peer reaches every peer (all backplanes are back). */
export async function probe(peers: Peer[], timeout = 20_000): Promise<void> {
  const started = Date.now();
  for (let round = 0; ; round++) {
    const tag = `probe${round}`;
    for (const [i, p] of peers.entries()) {
      p.send({ type: 2, sequence: 1, from: "probe", to: "", content: `${tag}-${i}` });
    }
    const ok = () =>
      peers.every((p) => peers.every((_, i) => p.inbox.some((m) => m.content === `${tag}-${i}`)));
    // A probe sent before a backplane was back never comes: send another round.
    try {
      await waitUntil(ok, { timeout: 1000, what: `round ${round} of probes` });
      return;
    } catch {
      if (Date.now() - started > timeout) throw new Error("instances did not recover");
    }
  }
}

/** Waits until chat-server's /healthz counts `n` connections (accepted by the server, not only by the kernel). */
export async function serving(metricsPort: number, n: number, timeout = 10_000): Promise<void> {
  let connections = -1;
  const counted = async (): Promise<boolean> => {
    const health = (await (await fetch(`http://127.0.0.1:${metricsPort}/healthz`)).json()) as {
      connections: number;
    };
    connections = health.connections;
    return connections === n;
  };
  await waitUntil(counted, { timeout, interval: 20 }).catch(() => {
    throw new Error(`${connections} connections, not ${n}`);
  });
}

export async function scrape(port: number): Promise<string> {
  return (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
}
