// End to end: the built chat-server as a real process, JSON and binary peers on 127.0.0.1.
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import net from "node:net";
import { fileURLToPath } from "node:url";
import { Connection } from "@taurus/core-conn";
import { until as waitUntil } from "@taurus/core-conn/testing";
import { type BinaryMessage, createBinaryProtocol } from "@taurus/protocol-binary";
import { createJsonProtocol, type JsonMessage } from "@taurus/protocol-json";
import { afterEach, describe, expect, it } from "vitest";
import { fromBinary, fromJson, toBinary, toJson } from "./chat";

const main = fileURLToPath(new URL("../dist/main.js", import.meta.url));
const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const fn of cleanups.splice(0)) fn();
});

interface Running {
  proc: ChildProcess;
  json: number;
  binary: number;
  metrics: number;
  logs: string[];
}

async function startChatServer(): Promise<Running> {
  const proc = spawn(
    process.execPath,
    [main, "--host", "127.0.0.1", "--json-port", "0", "--binary-port", "0", "--metrics-port", "0"],
    {
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  cleanups.push(() => proc.kill("SIGKILL"));
  const logs: string[] = [];
  return new Promise((resolve, reject) => {
    let buffered = "";
    proc.stderr?.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      let nl = buffered.indexOf("\n");
      while (nl !== -1) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        logs.push(line);
        const entry = JSON.parse(line) as {
          msg: string;
          json: number;
          binary: number;
          metrics: number;
        };
        if (entry.msg === "listening")
          resolve({ proc, logs, json: entry.json, binary: entry.binary, metrics: entry.metrics });
        nl = buffered.indexOf("\n");
      }
    });
    proc.once("exit", (code) =>
      reject(new Error(`chat-server exited with ${code}: ${logs.join("\n")}`)),
    );
  });
}

async function connect<M>(
  port: number,
  protocol: ReturnType<typeof createJsonProtocol> | ReturnType<typeof createBinaryProtocol>,
) {
  const socket = net.connect({ host: "127.0.0.1", port, allowHalfOpen: true });
  await new Promise<void>((r, j) => {
    socket.once("connect", r);
    socket.once("error", j);
  });
  const conn = new Connection(socket, protocol as never) as unknown as Connection<M>;
  cleanups.push(() => conn.destroy());
  const inbox: M[] = [];
  conn.on("message", (m) => inbox.push(m));
  return { conn, inbox };
}

/** The shared `until` of `@taurus/core-conn/testing`, with this file's default timeout. */
const until = (predicate: () => boolean, timeout = 5000): Promise<void> =>
  waitUntil(predicate, { timeout });

describe("chat-server process", () => {
  it("joins JSON and binary clients in one room, answers heartbeats, announces closes, and counts it all", async () => {
    const server = await startChatServer();
    const alice = await connect<JsonMessage>(server.json, createJsonProtocol());
    const bob = await connect<BinaryMessage>(server.binary, createBinaryProtocol());

    alice.conn.send(
      toJson({ type: 1, sequence: 1, from: "alice", to: "", content: "加入了聊天室" }),
    );
    bob.conn.send(toBinary({ type: 1, sequence: 1, from: "bob", to: "", content: "加入了聊天室" }));
    // Joins are announced (the second one within the notice interval, a little later).
    await until(() => alice.inbox.length >= 2 && bob.inbox.length >= 2);
    bob.conn.send(toBinary({ type: 2, sequence: 2, from: "bob", to: "", content: "hi alice" }));
    bob.conn.send(toBinary({ type: 3, sequence: 3, from: "bob", to: "", content: "ping" }));

    await until(() => alice.inbox.length >= 3 && bob.inbox.length >= 4);
    const joins = [
      { type: 1, sequence: 1, from: "alice", to: "", content: "加入了聊天室" },
      { type: 1, sequence: 1, from: "bob", to: "", content: "加入了聊天室" },
    ];
    expect(alice.inbox.map(fromJson)).toEqual([
      ...joins,
      { type: 2, sequence: 2, from: "bob", to: "", content: "hi alice" },
    ]);
    expect(bob.inbox.map(fromBinary)).toEqual([
      ...joins,
      { type: 2, sequence: 2, from: "bob", to: "", content: "hi alice" },
      { type: 3, sequence: 3, from: "server", to: "bob", content: "pong" },
    ]);

    // A close is announced to the others, in their own protocol.
    alice.conn.destroy();
    await until(() => bob.inbox.length === 5);
    expect(fromBinary(bob.inbox[4]!)).toMatchObject({
      type: 1,
      from: "server",
      content: "alice disconnected",
    });

    const health = await fetch(`http://127.0.0.1:${server.metrics}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({
      status: "ready",
      reasons: [],
      connections: 1,
      instances: [
        {
          instance: expect.any(String),
          pid: server.proc.pid,
          connections: 1,
          backplane: { connected: true, lost: 0, dropped: 0 },
        },
      ],
    });
    const metrics = await (await fetch(`http://127.0.0.1:${server.metrics}/metrics`)).text();
    // Each server's counters, labelled by protocol: alice sent 1 on JSON, bob 3 on binary.
    expect(metrics).toContain('\ntaurus_messages_received_total{protocol="json"} 1\n');
    expect(metrics).toContain('\ntaurus_messages_received_total{protocol="binary"} 3\n');
    expect(metrics).toContain('\ntaurus_connections_total{protocol="json"} 1\n');
    expect(metrics).toContain('\ntaurus_connections_total{protocol="binary"} 1\n');
    expect(metrics).toContain('\ntaurus_connections_current{protocol="json"} 0\n');
    expect(metrics).toContain('\ntaurus_connections_current{protocol="binary"} 1\n');
    expect(metrics).toContain("process_cpu_user_seconds_total");
    // Every metric the Grafana dashboard queries is served.
    const dashboard = readFileSync(
      new URL("../../../docs/grafana/taurus-dashboard.json", import.meta.url),
      "utf8",
    );
    const queried = new Set(dashboard.match(/\b(taurus|process|nodejs)_\w+/g));
    expect(queried.size).toBeGreaterThan(10);
    for (const name of queried) expect(metrics).toContain(`# TYPE ${name} `);

    const exited = new Promise<number | null>((r) => server.proc.once("exit", (code) => r(code)));
    server.proc.kill("SIGTERM");
    expect(await exited).toBe(0);
  }, 20_000);
});
