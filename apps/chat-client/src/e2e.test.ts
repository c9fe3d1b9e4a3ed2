// End to end with real processes: a chat-server, and two chat-clients (one per protocol) driven through stdin.
import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";

const clientMain = fileURLToPath(new URL("../dist/main.js", import.meta.url));
const serverMain = join(
  dirname(createRequire(import.meta.url).resolve("@taurus/chat-server/package.json")),
  "dist/main.js",
);
const procs: ChildProcess[] = [];
afterEach(() => {
  for (const p of procs.splice(0)) p.kill("SIGKILL");
});

interface Ports {
  json: number;
  binary: number;
  metrics: number;
}

interface Server {
  proc: ChildProcess;
  ports: Ports;
  logs: Array<Record<string, unknown>>;
}

function startServer(ports: Ports): Promise<Server> {
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

class ChatClient {
  readonly proc: ChildProcess;
  output = "";
  constructor(args: string[]) {
    this.proc = spawn(process.execPath, [clientMain, ...args], { stdio: ["pipe", "pipe", "pipe"] });
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
    const started = Date.now();
    while (this.output.split(text).length - 1 < count) {
      if (Date.now() - started > timeout)
        throw new Error(`no ${JSON.stringify(text)} in:\n${this.output}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  exited(): Promise<number | null> {
    return new Promise((r) => {
      if (this.proc.exitCode !== null) r(this.proc.exitCode);
      else this.proc.once("exit", (code) => r(code));
    });
  }
}

describe("chat-client and chat-server", () => {
  it("chats across protocols, survives a server restart, and leaves with quit", async () => {
    const first = await startServer({ json: 0, binary: 0, metrics: 0 });
    const { json, binary } = first.ports;
    const alice = new ChatClient([`127.0.0.1:${json}`, "alice"]);
    await alice.waitFor("*** alice 加入了聊天室 ***"); // alice is in the room before bob comes
    const bob = new ChatClient([`127.0.0.1:${binary}`, "bob", "--protocol", "binary"]);
    await bob.waitFor("*** bob 加入了聊天室 ***");
    await alice.waitFor("*** bob 加入了聊天室 ***");

    alice.type("hello from json");
    bob.type("hi from binary");
    await bob.waitFor("[alice] hello from json");
    await alice.waitFor("[bob] hi from binary");
    // Own lines are not shown again.
    expect(alice.output).not.toContain("[alice]");
    expect(bob.output).not.toContain("[bob]");

    // The server goes away and comes back on the same ports: both clients say so and rejoin.
    first.proc.kill("SIGKILL");
    await alice.waitFor("*** disconnected");
    await bob.waitFor("*** reconnecting in");
    bob.type("typed while the server was down");
    const second = await startServer({ ...first.ports, metrics: 0 });
    await alice.waitFor("*** connected to", 2);
    await bob.waitFor("*** connected to", 2);
    // The line bob typed while the server was down reached the new server exactly once
    // (alice sees it only if she was back before bob: a room has no history).
    const fromBob = () =>
      second.logs.filter((l) => l.msg === "message" && l.from === "bob" && l.type === 2);
    const started = Date.now();
    while (fromBob().length === 0 && Date.now() - started < 10_000)
      await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 200));
    expect(fromBob()).toHaveLength(1);

    const metrics = await (await fetch(`http://127.0.0.1:${second.ports.metrics}/metrics`)).text();
    expect(metrics).toMatch(/taurus_messages_received_total [1-9]/);

    // quit sends the leave message and exits 0; the other side sees it.
    alice.type("quit");
    expect(await alice.exited()).toBe(0);
    await bob.waitFor("*** alice 离开了聊天室 ***");
    bob.proc.stdin?.end(); // Ctrl+D
    expect(await bob.exited()).toBe(0);
  }, 60_000);

  it("refuses a line over the max message size without disconnecting", async () => {
    const { ports } = await startServer({ json: 0, binary: 0, metrics: 0 });
    const carol = new ChatClient([`127.0.0.1:${ports.json}`, "carol"]);
    const dave = new ChatClient([`127.0.0.1:${ports.json}`, "dave"]);
    await carol.waitFor("*** connected to");
    await dave.waitFor("*** dave 加入了聊天室 ***");
    carol.type("x".repeat(2 * 1024 * 1024));
    await carol.waitFor("*** not sent: the message is too long ***");
    carol.type("still here");
    await dave.waitFor("[carol] still here");
    expect(carol.output).not.toContain("disconnected");
    carol.type("quit");
    expect(await carol.exited()).toBe(0);
  }, 30_000);

  it("prints usage for --help and for bad arguments", async () => {
    const help = new ChatClient(["--help"]);
    expect(await help.exited()).toBe(0);
    expect(help.output).toContain("Usage: chat-client <host:port> <username>");
    const bad = new ChatClient(["nowhere"]);
    expect(await bad.exited()).toBe(2);
    expect(bad.output).toContain("Usage:");
  });
});
