// Rooms in the chat, end to end against the built chat-server: /join, /leave, /rooms, /who
// and room messages (to: "#room"), across both protocols, across workers (IPC) and across
// instances (Redis). Attackers connect from 127.0.0.2, users from 127.0.0.3 and up.
import { startRedis, type TestRedis } from "@taurus/adapter-redis/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { ChatMessage } from "./chat";
import {
  type Peer,
  peer,
  type Running,
  serving,
  startChatServer,
  stderrOf,
  until,
} from "./test-chat";

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

type Kind = "json" | "binary";
/**
 * A peer joined as `name`, once the server has announced the join (joins on two sockets
 * race; `/who` lists names in the order they were bound).
 */
async function connect(server: Running, kind: Kind, name: string, localAddress = "127.0.0.3") {
  const p = await peer(kind === "json" ? server.json : server.binary, kind, cleanups, {
    name,
    localAddress,
  });
  await until(() => has(p, { from: name, content: "加入了聊天室" }));
  return p;
}

const command = (p: Peer, line: string) =>
  p.send({ type: 1, sequence: 1, from: "", to: "", content: line });
const say = (p: Peer, to: string, content: string) =>
  p.send({ type: 2, sequence: 1, from: "", to, content });
const has = (p: Peer, match: Partial<ChatMessage>) =>
  p.inbox.some((m) => Object.entries(match).every(([k, v]) => m[k as keyof ChatMessage] === v));
const answers = (p: Peer, name: string) =>
  p.inbox.filter((m) => m.type === 1 && m.from === "server" && m.to === name).map((m) => m.content);

describe("chat rooms, one process", () => {
  it("join, talk, list and leave across both protocols; a non-member hears nothing", async () => {
    const server = await startChatServer(["--notice-interval", "0"], cleanups);
    const alice = await connect(server, "json", "alice");
    const bob = await connect(server, "binary", "bob", "127.0.0.4");
    const carol = await connect(server, "json", "carol", "127.0.0.5");
    command(alice, "/join #dev");
    command(bob, "/join #dev");
    await until(() => has(alice, { from: "server", to: "#dev", content: "bob joined #dev" }));
    expect(has(carol, { content: "bob joined #dev" })).toBe(false);

    say(alice, "#dev", "in the room");
    say(carol, "#dev", "from outside");
    await until(
      () => has(bob, { content: "in the room" }) && has(alice, { content: "in the room" }),
    );
    await until(() => answers(carol, "carol").length === 1);
    expect(answers(carol, "carol")).toEqual(["error: join #dev first: /join #dev"]);
    expect(bob.inbox.find((m) => m.content === "in the room")).toEqual({
      type: 2,
      sequence: 1,
      from: "alice",
      to: "#dev",
      content: "in the room",
    });

    command(carol, "/rooms");
    command(carol, "/who #dev");
    command(carol, "/who");
    command(carol, "/dance");
    await until(() => answers(carol, "carol").length === 5);
    expect(answers(carol, "carol").slice(1)).toEqual([
      "rooms here: #dev (2); yours: none (the main room only)",
      "in #dev here: alice, bob",
      "here: alice, bob, carol",
      "error: unknown command /dance; commands: /join #room, /leave #room, /rooms, /who [#room], /msg <name> <text>",
    ]);

    command(bob, "/leave #dev");
    // Two connections: nothing orders what reaches alice against what reaches bob.
    await until(
      () =>
        has(alice, { to: "#dev", content: "bob left #dev" }) &&
        answers(bob, "bob").includes("you left #dev"),
    );
    expect(answers(bob, "bob")).toEqual(["you left #dev"]);
    say(alice, "#dev", "bob is gone");
    say(alice, "", "to everyone");
    await until(
      () => has(carol, { content: "to everyone" }) && has(bob, { content: "to everyone" }),
    );
    expect(has(bob, { content: "bob is gone" })).toBe(false);
    // Nobody outside the room heard its traffic.
    expect(carol.inbox.some((m) => m.to === "#dev")).toBe(false);
    expect(await server.stop(), stderrOf(server)).toBe(0);
  }, 30_000);

  it("bounds rooms and room names; an attacker's floods leave the room's users served", async () => {
    const server = await startChatServer(["--notice-interval", "0"], cleanups);
    const mallory = await connect(server, "json", "mallory", "127.0.0.2");
    const alice = await connect(server, "binary", "alice");
    command(alice, "/join #dev");
    for (let i = 0; i < 34; i++) command(mallory, `/join #r${i}`);
    command(mallory, `/join #${"x".repeat(64)}`);
    command(mallory, "/join nohash");
    command(mallory, "/join #a\u0007b");
    await until(() => answers(mallory, "mallory").length === 5);
    expect(answers(mallory, "mallory")).toEqual([
      "error: too many rooms: /leave one",
      "error: too many rooms: /leave one",
      "error: /join #room (a room is # and 1-63 characters)",
      "error: /join #room (a room is # and 1-63 characters)",
      "error: /join #room (a room is # and 1-63 characters)",
    ]);
    say(alice, "#dev", "served");
    await until(() => has(alice, { to: "#dev", content: "served" }));
    expect(has(mallory, { content: "served" })).toBe(false);
    expect(await server.stop(), stderrOf(server)).toBe(0);
  }, 30_000);
});

describe("chat rooms across workers (IPC)", () => {
  it("reach every member on every worker, and nobody else", async () => {
    const server = await startChatServer(["--workers", "2", "--notice-interval", "0"], cleanups);
    const members: Peer[] = [];
    const others: Peer[] = [];
    for (let i = 0; i < 6; i++) {
      const p = await connect(server, i % 2 === 0 ? "json" : "binary", `w${i}`, `127.0.0.${3 + i}`);
      (i < 4 ? members : others).push(p);
    }
    await serving(server.metrics, 6);
    for (const p of members) command(p, "/join #ops");
    // Each member heard its own join: every worker with members holds the room's channel.
    await until(() =>
      members.every((p, i) => has(p, { to: "#ops", content: `w${i} joined #ops` })),
    );
    say(members[0]!, "#ops", "ops only");
    await until(() => members.every((p) => has(p, { content: "ops only" })));
    say(others[0]!, "", "everyone");
    await until(() => [...members, ...others].every((p) => has(p, { content: "everyone" })));
    for (const p of others) expect(p.inbox.some((m) => m.to === "#ops")).toBe(false);
    expect(await server.stop(), stderrOf(server)).toBe(0);
  }, 60_000);
});

describe("chat rooms across instances (Redis)", () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis.stop();
  });

  it("reach the members on the other instance, and nobody else", async () => {
    const args = ["--redis", redis.url, "--notice-interval", "0"];
    const a = await startChatServer(args, cleanups);
    const b = await startChatServer(args, cleanups);
    const alice = await connect(a, "json", "alice");
    const bob = await connect(b, "binary", "bob", "127.0.0.4");
    const carol = await connect(b, "json", "carol", "127.0.0.5");
    command(bob, "/join #dev");
    await until(() => has(bob, { content: "bob joined #dev" }));
    command(alice, "/join #dev");
    await until(() => has(bob, { content: "alice joined #dev" }));
    say(alice, "#dev", "across");
    say(alice, "", "to all");
    await until(() => has(bob, { content: "across" }) && has(carol, { content: "to all" }));
    expect(bob.inbox.find((m) => m.content === "across")?.from).toBe("alice");
    expect(carol.inbox.some((m) => m.to === "#dev")).toBe(false);
    expect(await a.stop(), stderrOf(a)).toBe(0);
    expect(await b.stop(), stderrOf(b)).toBe(0);
  }, 60_000);
});
