// End to end with real processes: a chat-server, and two chat-clients (one per protocol) driven through stdin.
import net from "node:net";
import { restartablePort } from "@taurus/adapter-redis/testing";
import { until } from "@taurus/core-conn/testing";
import { describe, expect, it } from "vitest";
import { ChatClient, startServer } from "./test-procs";

describe("chat-client and chat-server", () => {
  it("chats across protocols, survives a server restart, and leaves with quit", async () => {
    // Ports below the ephemeral range: no outgoing connection takes them while the server is down.
    const json = await restartablePort();
    let binary = await restartablePort();
    while (binary === json) binary = await restartablePort();
    const first = await startServer({ json, binary, metrics: 0 });
    const alice = new ChatClient([`127.0.0.1:${json}`, "alice"]);
    await alice.waitFor("*** alice joined ***"); // alice is in the room before bob comes
    const bob = new ChatClient([`127.0.0.1:${binary}`, "bob", "--protocol", "binary"]);
    await bob.waitFor("*** bob joined ***");
    await alice.waitFor("*** bob joined ***");

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
    await until(() => fromBob().length > 0, { timeout: 10_000, what: "bob's line" });
    // A sentinel, not a sleep: bob's next line comes after any resent copy of the first.
    bob.type("sentinel from binary");
    await until(() => fromBob().length >= 2, { timeout: 10_000, what: "bob's sentinel" });
    expect(fromBob()).toHaveLength(2);

    const metrics = await (await fetch(`http://127.0.0.1:${second.ports.metrics}/metrics`)).text();
    expect(metrics).toMatch(/taurus_messages_received_total\{protocol="(json|binary)"\} [1-9]/);

    // quit sends the leave message and exits 0; the other side sees it.
    alice.type("quit");
    expect(await alice.exited()).toBe(0);
    await bob.waitFor("*** alice left ***");
    bob.proc.stdin?.end(); // Ctrl+D
    expect(await bob.exited()).toBe(0);
  }, 60_000);

  it("refuses a line over the max message size without disconnecting", async () => {
    const { ports } = await startServer({ json: 0, binary: 0, metrics: 0 });
    const carol = new ChatClient([`127.0.0.1:${ports.json}`, "carol"]);
    const dave = new ChatClient([`127.0.0.1:${ports.json}`, "dave"]);
    await carol.waitFor("*** connected to");
    await dave.waitFor("*** dave joined ***");
    carol.type("x".repeat(2 * 1024 * 1024));
    await carol.waitFor("*** not sent: the message is too long ***");
    carol.type("still here");
    await dave.waitFor("[carol] still here");
    expect(carol.output).not.toContain("disconnected");
    carol.type("quit");
    expect(await carol.exited()).toBe(0);
  }, 30_000);

  it("says it is connecting, why each connect fails, and quits silently on Ctrl+C", async () => {
    const free = net.createServer();
    await new Promise<void>((r) => free.listen(0, "127.0.0.1", r));
    const port = (free.address() as net.AddressInfo).port;
    await new Promise((r) => free.close(r));
    const eve = new ChatClient([`127.0.0.1:${port}`, "eve"]);
    await eve.waitFor(`*** cannot connect to 127.0.0.1:${port}: ECONNREFUSED`);
    expect(eve.lines()[0]).toBe(`*** connecting to 127.0.0.1:${port} (json)... ***`);
    eve.proc.kill("SIGINT");
    expect(await eve.exited()).toBe(0);
    expect(eve.output).not.toMatch(/could not|error/i);
  }, 30_000);

  it("names the protocol a port speaks, from its frames or by asking", async () => {
    const { ports } = await startServer({ json: 0, binary: 0, metrics: 0 });
    // Alone on the binary port with JSON: the server drops our frames silently; after a
    // moment the client asks the port in binary, which answers.
    const solo = new ChatClient([`127.0.0.1:${ports.binary}`, "solo", "--protocol", "json"]);
    expect(await solo.exited()).toBe(1);
    expect(solo.output).toContain(
      `*** 127.0.0.1:${ports.binary} speaks the binary protocol, not json: chat-client 127.0.0.1:${ports.binary} solo --protocol binary ***`,
    );
    // With someone talking there, the first binary frame tells at once.
    const bin = new ChatClient([`127.0.0.1:${ports.binary}`, "bin", "--protocol", "binary"]);
    await bin.waitFor("*** bin joined ***");
    const wrong = new ChatClient([`127.0.0.1:${ports.binary}`, "wrong", "--protocol", "json"]);
    await wrong.waitFor("*** connected to");
    bin.type("anyone?");
    expect(await wrong.exited()).toBe(1);
    expect(wrong.output).toContain("speaks the binary protocol, not json");
    expect(wrong.output).not.toContain("no answer");
  }, 30_000);

  it("shows each leave once, in the user's language, and prints no terminal controls", async () => {
    const server = await startServer({ json: 0, binary: 0, metrics: 0 });
    const { ports } = server;
    const wen = new ChatClient([`127.0.0.1:${ports.binary}`, "wen", "--protocol", "binary"], {
      ...process.env,
      LANG: "zh_CN.UTF-8",
    });
    await wen.waitFor("*** wen 加入了聊天室 ***");
    const ann = new ChatClient([`127.0.0.1:${ports.json}`, "ann"]);
    await wen.waitFor("*** ann 加入了聊天室 ***");
    ann.type("\x1b[2J\x1b]0;owned\x07red\u202e alert");
    await wen.waitFor("[ann] red alert");
    for (const control of ["\x1b", "\x07", "\u202e"]) expect(wen.output).not.toContain(control);
    ann.type("quit");
    expect(await ann.exited(8_000, server)).toBe(0);
    await wen.waitFor("*** ann 离开了聊天室 ***");
    // A message sent after ann is gone arrives after the server's own notice of her leaving.
    const jo = new ChatClient([`127.0.0.1:${ports.json}`, "jo", "--json"]);
    await jo.waitFor('"content":"加入了聊天室"');
    jo.type("after");
    await wen.waitFor("[jo] after");
    expect(wen.output.split("ann 离开了聊天室").length - 1).toBe(1);
    expect(wen.output).not.toContain("disconnected");
    // --json prints each message as JSON, with the JSON frame's timestamp as digits.
    await jo.waitFor('"content":"after"');
    const mine = jo
      .lines()
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l))
      .find((m) => m.content === "after");
    expect(mine).toMatchObject({
      type: 2,
      from: "jo",
      to: "",
      timestamp: expect.stringMatching(/^\d+$/),
    });
    jo.type("quit");
    expect(await jo.exited(8_000, server)).toBe(0);
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
