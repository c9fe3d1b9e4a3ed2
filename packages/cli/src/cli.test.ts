// The taurus commands, in-process, against a real chat-server process.
import { type Running, startChatServer } from "@taurus/chat-server/src/test-chat";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "./cli";
import { fakeIo } from "./test-io";

const cleanups: Array<() => unknown> = [];
let chat: Running;

beforeAll(async () => {
  // Every join and leave announced at once, with the sequence it came with.
  chat = await startChatServer(["--rate-limit", "inf", "--notice-interval", "0"], cleanups);
}, 30_000);

afterAll(async () => {
  await chat.stop();
  for (const c of cleanups.splice(0)) await c();
});

const at = (port: number) => `127.0.0.1:${port}`;

async function taurus(...argv: string[]) {
  const f = fakeIo();
  const code = await run(argv, f.io);
  return { code, out: f.out.join("\n"), err: f.err.join("\n") };
}

describe("taurus probe", () => {
  it("names the protocol of each chat-server port, the peer and the application", async () => {
    for (const [port, protocol] of [
      [chat.json, "json"],
      [chat.binary, "binary"],
    ] as const) {
      const { code, out } = await taurus("probe", at(port), "--json");
      expect(code).toBe(0);
      expect(JSON.parse(out)).toMatchObject({ protocol, peer: "taurus", application: "chat" });
    }
    const human = await taurus("probe", at(chat.binary), "-p", "binary");
    expect(human.out).toContain("speaks the Taurus binary protocol (CA FE)");
  });

  it("says why nothing answered: a refused connection, or HTTP on the metrics port", async () => {
    const refused = await taurus("probe", "127.0.0.1:1", "--json");
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.out)).toMatchObject({ protocol: null });
    expect(refused.out).toContain("ECONNREFUSED");
    const http = await taurus("probe", at(chat.metrics), "--timeout", "3s");
    expect(http.code).toBe(1);
    expect(http.out).toContain("HTTP");
  });
});

describe("taurus send", () => {
  it("sends a chat message over each protocol and prints what comes back with --reply", async () => {
    const json = await taurus("send", at(chat.json), "hello", "json", "--reply", "--from", "ann");
    expect(json.code).toBe(0);
    expect(json.err).toContain(`sent 1 message to ${at(chat.json)} (json)`);
    expect(json.out).toMatch(/^#\d+ user ann: hello json$/);
    const binary = await taurus("send", at(chat.binary), "hi", "-p", "binary", "--reply", "--json");
    expect(binary.code).toBe(0);
    const [sent, reply] = binary.out.split("\n").map((l) => JSON.parse(l));
    expect(sent).toMatchObject({ event: "sent", protocol: "binary", count: 1 });
    expect(reply).toMatchObject({ event: "message", reply: true, message: { type: 2 } });
    // Joined first under a name of its own: the room relays it from that name.
    expect(JSON.parse(reply.message.data)).toMatchObject({
      from: expect.stringMatching(/^taurus-[0-9a-f]{4}$/),
      content: "hi",
    });
  });

  it("sends a whole message given as JSON, timestamp as digits", async () => {
    // A whole join: the room binds the name and announces it with the join's sequence.
    const message = JSON.stringify({
      type: 1,
      data: { from: "raw", to: "", content: "加入了聊天室" },
      timestamp: "1700000000000000001",
    });
    const { code, out } = await taurus(
      "send",
      at(chat.json),
      "--message",
      message,
      "--reply",
      "--json",
    );
    expect(code).toBe(0);
    const reply = JSON.parse(out.split("\n")[1] as string);
    expect(reply.message).toMatchObject({
      type: 1,
      data: { from: "raw", content: "加入了聊天室" },
    });
  });

  it("refuses bad arguments with exit status 2, and names the reason of a failed connect", async () => {
    expect((await taurus("send", at(chat.json))).code).toBe(2);
    expect((await taurus("send", "nowhere", "x")).code).toBe(2);
    expect((await taurus("send", at(chat.json), "--message", "[1]")).code).toBe(2);
    expect((await taurus("send", at(chat.json), "x", "--protocol", "no-such-protocol")).code).toBe(
      2,
    );
    const refused = await taurus("send", "127.0.0.1:1", "x");
    expect(refused.code).toBe(1);
    expect(refused.err).toContain("ECONNREFUSED");
  });
});

describe("taurus connect", () => {
  it("prints decoded frames and sends typed lines until the input ends", async () => {
    const f = fakeIo();
    const done = run(["connect", at(chat.json), "--from", "cli"], f.io);
    await f.waitFor("connected to");
    f.stdin.write("typed line\n");
    await f.waitFor("user cli: typed line");
    const other = await taurus(
      "send",
      at(chat.binary),
      "from",
      "binary",
      "--from",
      "bin",
      "-p",
      "binary",
    );
    expect(other.code).toBe(0);
    await f.waitFor("user bin: from binary");
    f.stdin.end();
    expect(await done).toBe(0);
    expect(f.err[0]).toBe(`connecting to ${at(chat.json)} (json)...`);
  });

  it("says which protocol the port speaks when its frames are another protocol's", async () => {
    const f = fakeIo();
    const done = run(["connect", at(chat.binary), "--protocol", "json"], f.io);
    await f.waitFor("connected to");
    // Someone speaking binary there: the room's broadcast reaches the JSON session as CA FE frames.
    await taurus("send", at(chat.binary), "wake up", "-p", "binary");
    expect(await done).toBe(1);
    expect(f.err.join("\n")).toContain(
      `${at(chat.binary)} speaks the Taurus binary protocol (CA FE), not json: use --protocol binary`,
    );
  });

  it("ends quietly with 0 on Ctrl+C", async () => {
    const f = fakeIo();
    const done = run(["connect", at(chat.json)], f.io);
    await f.waitFor("connected to");
    f.interrupt();
    expect(await done).toBe(0);
    expect(f.err.join("\n")).not.toMatch(/error|disconnected/i);
  });
});

describe("taurus bench", () => {
  it("measures pipelined echo over JSON and ping-pong over binary", async () => {
    const echo = await taurus(
      "bench",
      at(chat.json),
      "--duration",
      "1s",
      "--pipeline",
      "20",
      "--json",
    );
    expect(echo.code).toBe(0);
    const e = JSON.parse(echo.out);
    expect(e).toMatchObject({ protocol: "json", mode: "echo", pipeline: 20, connections: 1 });
    expect(e.messages).toBeGreaterThan(0);
    expect(e.latencyMs.p50).toBeGreaterThan(0);
    expect(e.latencyMs.p99).toBeGreaterThanOrEqual(e.latencyMs.p50);
    const pong = await taurus(
      "bench",
      at(chat.binary),
      "-p",
      "binary",
      "--mode",
      "ping-pong",
      "--duration",
      "1s",
      "--connections",
      "2",
    );
    expect(pong.code).toBe(0);
    expect(pong.out).toContain(`${at(chat.binary)} (binary): ping-pong, 2 connections, 64 B`);
    expect(pong.out).toMatch(/messages +msg\/s +p50 ms +p90 ms +p99 ms +p99\.9 ms +max ms/);
  });
});

describe("taurus --help", () => {
  it("lists the commands, and each command has its own help", async () => {
    const all = await taurus("--help");
    expect(all.code).toBe(0);
    for (const name of ["connect", "send", "listen", "probe", "bench"]) {
      expect(all.out).toContain(`  ${name} `);
      const one = await taurus(name, "--help");
      expect(one.code).toBe(0);
      expect(one.out).toContain(`Usage: taurus ${name}`);
    }
    expect((await taurus("frobnicate")).code).toBe(2);
    expect((await taurus()).code).toBe(2);
  });
});
