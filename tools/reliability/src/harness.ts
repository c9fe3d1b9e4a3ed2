// Shared harness of the reliability suite: both protocols behind one interface,
// servers and raw peers on 127.0.0.1 that are cleaned up after every test, a
// well-behaved "witness" client, memory probes and per-case summaries.
import { mkdirSync, writeFileSync } from "node:fs";
import net from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Connection, type ConnectionOptions, type Protocol, TaurusError } from "@taurus/core-conn";
import { until as waitUntil } from "@taurus/core-conn/testing";
import { type BinaryMessage, createBinaryProtocol } from "@taurus/protocol-binary";
import { createJsonProtocol, type JsonMessage } from "@taurus/protocol-json";
import { createServer, type ServerConfig, type TaurusServer } from "@taurus/server";
import { afterEach } from "vitest";

/** `true` in the stress run (`pnpm test:stress`), which scales every case up. */
export const STRESS = process.env.TAURUS_STRESS === "1";

/** `fast` in the fast run, `stress` in the stress run. */
export function scale<T>(fast: T, stress: T): T {
  return STRESS ? stress : fast;
}

// ------------------------------------------------------------------ cleanup

const cleanups: Array<() => unknown> = [];

afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) {
    try {
      await fn();
    } catch {
      // A cleanup that fails must not hide the test's own result or skip the others.
    }
  }
});

/** Runs `fn` after the current test, in reverse order of registration. */
export function onCleanup(fn: () => unknown): void {
  cleanups.push(fn);
}

/** Resolves after `ms` milliseconds (the timer is cleared if the test ends first). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    onCleanup(() => clearTimeout(timer));
  });
}

/** Resolves when `predicate` holds (the shared `until` of `@taurus/core-conn/testing`); rejects after `timeout` ms naming `what`. */
export const until = (
  predicate: () => boolean,
  timeout = 10_000,
  what = "condition",
): Promise<void> => waitUntil(predicate, { timeout, what });

/** Runs `tasks` with at most `limit` in flight; resolves with their results in order. */
export async function pool<T>(
  count: number,
  limit: number,
  task: (i: number) => Promise<T>,
): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, count) }, async () => {
    while (next < count) {
      const i = next++;
      results[i] = await task(i);
    }
  });
  await Promise.all(workers);
  return results;
}

// ------------------------------------------------------------------ protocols

/** One wire protocol, seen the same way by every case. */
export interface Kit<M> {
  readonly name: "json" | "binary";
  /** The protocol, with its one-frame `decode` (both built-in protocols keep it). */
  readonly protocol: Protocol<M> & Required<Pick<Protocol<M>, "decode">>;
  /** The two magic bytes. */
  readonly magic: readonly [number, number];
  /** The byte offsets of the u32 length field in a frame header. */
  readonly lengthAt: number;
  /** Header bytes before the body (JSON) or data (binary). */
  readonly headerSize: number;
  /** A message with this sequence number carrying `text`. */
  message(sequence: number, text: string): M;
  sequence(message: M): number;
  text(message: M): string;
  /** `message(sequence, text)`, encoded. */
  frame(sequence: number, text: string): Buffer;
}

/** Largest frame the suite's servers accept (the per-connection limit under test). */
export const MAX_MESSAGE = 64 * 1024;

const json = createJsonProtocol();
const binary = createBinaryProtocol();

export const jsonKit: Kit<JsonMessage> = {
  name: "json",
  protocol: json,
  magic: [0xfe, 0xff],
  lengthAt: 2,
  headerSize: 6,
  message: (sequence, text) => ({
    type: 2,
    sequence,
    data: { from: "peer", to: "", content: text },
    timestamp: 1_700_000_000_000_000_000n + BigInt(sequence),
  }),
  sequence: (m) => m.sequence,
  text: (m) => {
    const content = m.data?.content;
    return typeof content === "string" ? content : "";
  },
  frame: (sequence, text) => Buffer.from(json.encode(jsonKit.message(sequence, text))),
};

export const binaryKit: Kit<BinaryMessage> = {
  name: "binary",
  protocol: binary,
  magic: [0xca, 0xfe],
  lengthAt: 11,
  headerSize: 15,
  message: (sequence, text) => ({ version: 1, type: 2, sequence, data: Buffer.from(text) }),
  sequence: (m) => m.sequence,
  text: (m) => Buffer.from(m.data).toString(),
  frame: (sequence, text) => Buffer.from(binary.encode(binaryKit.message(sequence, text))),
};

/** A raw JSON frame around an arbitrary body (no validation at all). */
export function rawJsonFrame(body: Buffer | string): Buffer {
  const bytes = typeof body === "string" ? Buffer.from(body) : body;
  const header = Buffer.alloc(6);
  header[0] = 0xfe;
  header[1] = 0xff;
  header.writeUInt32BE(bytes.length, 2);
  return Buffer.concat([header, bytes]);
}

/** Removes every byte that could begin a magic, so the bytes are garbage a decoder must skip. */
export function magicFree<M>(kit: Kit<M>, bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.filter((b) => b !== kit.magic[0]));
}

// ------------------------------------------------------------------ counting

/** Counts strings (error codes). */
export class Tally {
  readonly counts = new Map<string, number>();
  add(code: string): void {
    this.counts.set(code, (this.counts.get(code) ?? 0) + 1);
  }
  get(code: string): number {
    return this.counts.get(code) ?? 0;
  }
  get total(): number {
    let n = 0;
    for (const v of this.counts.values()) n += v;
    return n;
  }
  toJSON(): Record<string, number> {
    return Object.fromEntries([...this.counts].sort(([a], [b]) => a.localeCompare(b)));
  }
}

/** The drop codes a decoder reports. */
export const DROP_CODES = ["INVALID_FORMAT", "CHECKSUM", "MESSAGE_TOO_LARGE", "MALFORMED_BODY"];

// ------------------------------------------------------------------ memory probes

interface ConnectionInternals {
  reader?: { buffered?: unknown; skipping?: unknown };
}

/**
 * Bytes the connection's frame reader holds (inbound, not yet decoded). Reads a private
 * field on purpose: the bound on it is what the bad-input cases check. A connection at
 * rest holds no reader (0 bytes). Throws when the field is gone, so that a refactoring
 * makes the suite fail rather than pass vacuously.
 */
export function readerBuffered<M>(conn: Connection<M>): number {
  if (!Object.hasOwn(conn, "reader"))
    throw new Error("Connection internals changed: no reader field");
  const reader = (conn as unknown as ConnectionInternals).reader;
  if (reader === undefined) return 0;
  const value = reader.buffered;
  if (typeof value !== "number")
    throw new Error("Connection internals changed: reader.buffered not found");
  return value;
}

/** Heap used after a full garbage collection (needs --expose-gc, set in the vitest configs). */
export async function heapAfterGc(): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error("run with --expose-gc (the vitest configs pass it)");
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setImmediate(r));
  }
  return process.memoryUsage().heapUsed;
}

/** Active resources of the process (sockets, timers...) by type. */
export function activeResources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) counts[type] = (counts[type] ?? 0) + 1;
  return counts;
}

// ------------------------------------------------------------------ servers

/** A running server under test, with what it saw. */
export interface Harness<M> {
  server: TaurusServer<M>;
  port: number;
  /** Codes reported to `onError`. */
  errors: Tally;
  /** Codes that closed connections (`onClose`). */
  closes: Tally;
  /** Codes reported to `onError`, per connection id, in order. */
  errorsByConn: Map<string, string[]>;
  /** Messages handled, per connection id, in order. */
  handled: Map<string, M[]>;
  /** Connection id by the peer's port, to find the server side of a raw socket. */
  byPeerPort: Map<number, string>;
  /** Largest inbound bytes held by any connection's reader, sampled after every chunk. */
  peakReader: number;
  /** Largest `bufferedAmount` (outbound) of any connection, sampled after every chunk and every 10 ms. */
  peakOutbound: number;
  /** Connections accepted so far. */
  accepted: number;
  /** Most connections open at once. */
  peakConnections: number;
}

/** What a case may set on its server besides the protocol. */
export type ServerSetup<M> = Partial<Omit<ServerConfig<M>, "protocol">> & {
  /** What `onMessage` does once the harness has recorded the message. Default: echo. */
  onMessage?: (message: M, conn: Connection<M>) => void | Promise<void>;
};

/** Starts a server for `kit` on 127.0.0.1:0 that records everything; closed after the test. */
export async function startServer<M>(kit: Kit<M>, setup: ServerSetup<M> = {}): Promise<Harness<M>> {
  const {
    onMessage = (m: M, conn: Connection<M>) => void conn.send(m),
    handler,
    ...options
  } = setup;
  const errors = new Tally();
  const closes = new Tally();
  const handled = new Map<string, M[]>();
  const byPeerPort = new Map<number, string>();
  const errorsByConn = new Map<string, string[]>();
  const h: Harness<M> = {
    server: undefined as unknown as TaurusServer<M>,
    port: 0,
    errors,
    closes,
    errorsByConn,
    handled,
    byPeerPort,
    peakReader: 0,
    peakOutbound: 0,
    accepted: 0,
    peakConnections: 0,
  };
  const sample = (conn: Connection<M>): void => {
    if (conn.state === "closed") return;
    h.peakReader = Math.max(h.peakReader, readerBuffered(conn));
    h.peakOutbound = Math.max(h.peakOutbound, conn.bufferedAmount);
  };
  const server = createServer<M>({
    protocol: kit.protocol,
    rateLimit: Infinity,
    maxMessageSize: MAX_MESSAGE,
    shutdownTimeout: 5_000,
    ...options,
    handler: {
      ...handler,
      onConnect: (conn) => {
        handled.set(conn.id, []);
        if (conn.remotePort !== undefined) byPeerPort.set(conn.remotePort, conn.id);
        // Runs after the Connection's own data listener: the reader has decoded the chunk.
        conn.socket.on("data", () => sample(conn));
        return handler?.onConnect?.(conn);
      },
      onMessage: (m, conn) => {
        handled.get(conn.id)?.push(m);
        return onMessage(m, conn);
      },
      onError: (error, conn) => {
        errors.add(error.code);
        if (conn) {
          const list = errorsByConn.get(conn.id);
          if (list) list.push(error.code);
          else errorsByConn.set(conn.id, [error.code]);
        }
        handler?.onError?.(error, conn);
      },
      onClose: (error, conn) => {
        closes.add(error?.code ?? "clean");
        handler?.onClose?.(error, conn);
      },
    },
  });
  server.on("connection", () => {
    h.accepted++;
    h.peakConnections = Math.max(h.peakConnections, server.connectionCount);
  });
  const { port } = await server.listen(0, "127.0.0.1");
  h.server = server;
  h.port = port;
  const sampler = setInterval(() => {
    for (const conn of server.connections()) sample(conn);
  }, 10);
  onCleanup(async () => {
    clearInterval(sampler);
    await server.close();
  });
  return h;
}

/** Counts by code from the server's metrics snapshot. */
export function metricCodes<M>(server: TaurusServer<M>): Record<string, number> {
  return server.metrics.snapshot().errors_by_code;
}

// ------------------------------------------------------------------ peers

/** A plain socket to 127.0.0.1:port, connected; destroyed after the test. */
export async function rawSocket(port: number, allowHalfOpen = false): Promise<net.Socket> {
  const socket = net.connect({ host: "127.0.0.1", port, allowHalfOpen });
  socket.on("error", () => {}); // resets are expected from hostile cases
  socket.resume(); // read and discard; a case that must not read calls socket.pause()
  onCleanup(() => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  return socket;
}

/** Resolves once `socket` is closed; rejects after `timeout` ms. */
export function closed(socket: net.Socket, timeout = 10_000): Promise<void> {
  if (socket.destroyed && socket.closed) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("socket not closed in time")), timeout);
    socket.once("close", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** A client-side Connection over a fresh socket; closed after the test. */
export async function rawConnection<M>(
  kit: Kit<M>,
  port: number,
  options: ConnectionOptions = {},
): Promise<Connection<M>> {
  const socket = net.connect({ host: "127.0.0.1", port, allowHalfOpen: true });
  const conn = new Connection(socket, kit.protocol, { idleTimeout: 0, ...options });
  conn.on("error", () => {});
  onCleanup(() => conn.destroy());
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  return conn;
}

/** Writes `data` and resolves once the socket has taken it (or failed). */
export function write(socket: net.Socket, data: Uint8Array): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) {
      resolve();
      return;
    }
    socket.write(data, () => resolve());
  });
}

/** What a witness saw. */
export interface WitnessReport {
  sent: number;
  received: number;
  inOrder: boolean;
}

/**
 * A well-behaved client that sends one message every `interval` ms and checks that
 * every echo comes back, in order, while the hostile peers do their worst.
 */
export async function startWitness<M>(kit: Kit<M>, port: number, interval = 5) {
  const conn = await rawConnection(kit, port);
  let sent = 0;
  let received = 0;
  let inOrder = true;
  conn.on("message", (m) => {
    received++;
    if (kit.sequence(m) !== received) inOrder = false;
  });
  const timer = setInterval(() => {
    if (conn.state !== "open") return;
    try {
      conn.send(kit.message(sent + 1, "witness"));
      sent++;
    } catch {
      // A refused send is not counted as sent; a closed witness fails the case below.
    }
  }, interval);
  onCleanup(() => clearInterval(timer));
  return {
    conn,
    /** Stops sending and waits (bounded) for the last echoes. */
    async stop(timeout = 10_000): Promise<WitnessReport> {
      clearInterval(timer);
      try {
        await until(() => received >= sent || conn.state === "closed", timeout, "witness echoes");
      } catch {
        // reported through the counts
      }
      return { sent, received, inOrder };
    },
  };
}

// ------------------------------------------------------------------ summaries

/** What a case did and what it lost, as it goes into docs/RELIABILITY.md. */
export interface CaseSummary {
  /** Section of the report. */
  group: string;
  /** One line: what the case checks. */
  title: string;
  /** The load the server held. */
  load: string;
  /** Faults injected (or "none"). */
  faults: string;
  /** Bad inputs tried (or "none"). */
  badInputs: string;
  /** Messages (or connections, as stated in `lostUnit`) lost; must be 0. */
  lost: number;
  lostUnit?: string;
  /** Anything else measured. */
  observed: Record<string, unknown>;
}

const RESULTS = join(dirname(fileURLToPath(import.meta.url)), "..", "results");

/** Saves the summary of a case (results/fast or results/stress) and prints it. */
export function record(id: string, summary: CaseSummary): void {
  const mode = STRESS ? "stress" : "fast";
  const dir = join(RESULTS, mode);
  mkdirSync(dir, { recursive: true });
  const body = { id, mode, ...summary };
  writeFileSync(join(dir, `${id}.json`), `${JSON.stringify(body, bigintSafe, 2)}\n`);
  if (STRESS) console.log(`SUMMARY ${JSON.stringify(body, bigintSafe)}`);
}

function bigintSafe(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? value.toString() : value;
}

/** `TaurusError` code of `err`, or its name. */
export function codeOf(err: unknown): string {
  return err instanceof TaurusError ? err.code : err instanceof Error ? err.name : String(err);
}
