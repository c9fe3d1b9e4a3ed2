// Names and private messages across instances, end to end against the built chat-server:
// through the primary with --workers, through Redis between two processes.
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

const JOINED = "加入了聊天室";
type Kind = "json" | "binary";
const raw = (server: Running, kind: Kind, localAddress: string) =>
  peer(kind === "json" ? server.json : server.binary, kind, cleanups, {
    name: null,
    localAddress,
  });
const send = (p: Peer, type: number, from: string, to: string, content: string) =>
  p.send({ type, sequence: 1, from, to, content });
const has = (p: Peer, match: Partial<ChatMessage>) =>
  p.inbox.some((m) => Object.entries(match).every(([k, v]) => m[k as keyof ChatMessage] === v));
const errors = (p: Peer) =>
  p.inbox
    .filter((m) => m.from === "server" && m.content.startsWith("error: "))
    .map((m) => m.content);
const tokenOf = (p: Peer) =>
  p.inbox.find((m) => m.content.startsWith("/token "))?.content.slice("/token ".length);

describe("names across workers (IPC)", () => {
  it("lets one connection of six have a name, and reaches each user privately on any worker", async () => {
    const server = await startChatServer(["--workers", "2", "--notice-interval", "0"], cleanups);
    const peers: Peer[] = [];
    for (let i = 0; i < 6; i++)
      peers.push(await raw(server, i % 2 ? "binary" : "json", `127.0.0.${3 + i}`));
    await serving(server.metrics, 6);
    for (const p of peers) send(p, 1, "same", "server", JOINED);
    await until(() => peers.filter((p) => tokenOf(p) || errors(p).length > 0).length === 6);
    const winners = peers.filter((p) => tokenOf(p) !== undefined);
    expect(winners).toHaveLength(1);
    for (const p of peers.filter((q) => !winners.includes(q))) {
      expect(errors(p)).toEqual(["error: cannot join: same is taken"]);
    }
    // The others join under names of their own; "same" writes to each of them.
    const others = peers.filter((p) => !winners.includes(p));
    for (const [i, p] of others.entries()) send(p, 1, `u${i}`, "", JOINED);
    await until(() => others.every((p, i) => has(p, { from: `u${i}`, content: JOINED })));
    for (const i of others.keys()) send(winners[0]!, 2, "same", `u${i}`, `to u${i}`);
    await until(() => others.every((p, i) => has(p, { from: "same", content: `to u${i}` })));
    for (const [i, p] of others.entries()) {
      expect(p.inbox.filter((m) => m.type === 2).map((m) => m.content)).toEqual([`to u${i}`]);
    }
    expect(await server.stop(), stderrOf(server)).toBe(0);
  }, 60_000);
});

describe("names across instances (Redis)", () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis.stop();
  });

  it("holds a name once, reaches its holder privately, gives it back with its token, frees it on close", async () => {
    const args = ["--redis", redis.url, "--notice-interval", "0"];
    const a = await startChatServer(args, cleanups);
    const b = await startChatServer(args, cleanups);
    const alice = await raw(a, "json", "127.0.0.3");
    send(alice, 1, "alice", "server", JOINED);
    await until(() => tokenOf(alice) !== undefined);

    // Taken on the other instance, in any case; a wrong token takes nothing.
    const thief = await raw(b, "binary", "127.0.0.2");
    send(thief, 1, "ALICE", "", JOINED);
    send(thief, 1, "alice", "server", "/reclaim not-her-token");
    await until(() => errors(thief).length === 2);
    expect(errors(thief)).toEqual([
      "error: cannot join: ALICE is taken",
      "error: cannot join: alice is taken",
    ]);

    // A private message from b reaches alice on a, and only her.
    const bob = await raw(b, "binary", "127.0.0.4");
    const carol = await raw(b, "json", "127.0.0.5");
    send(bob, 1, "bob", "", JOINED);
    send(carol, 1, "carol", "", JOINED);
    await until(() => has(alice, { from: "carol", content: JOINED }));
    send(bob, 2, "bob", "alice", "across");
    send(bob, 2, "bob", "nobody", "lost?");
    await until(() => has(alice, { from: "bob", content: "across" }) && errors(bob).length === 1);
    expect(errors(bob)).toEqual(["error: no user named nobody"]);
    expect(has(bob, { content: "across" })).toBe(true);
    expect(has(carol, { content: "across" })).toBe(false);

    // alice comes back through b with her token: a's connection goes, quietly.
    const back = await raw(b, "binary", "127.0.0.3");
    send(back, 1, "alice", "server", `/reclaim ${tokenOf(alice)}`);
    await until(() => alice.closed && tokenOf(back) !== undefined);
    send(back, 2, "", "", "alice again");
    await until(() => has(carol, { from: "alice", content: "alice again" }));
    expect(carol.inbox.some((m) => m.content === "alice disconnected")).toBe(false);

    // Closed: the name is free for anyone, on either instance.
    back.close();
    await until(() => has(carol, { content: "alice disconnected" }));
    // (The release and the notice travel on different Redis connections: try a few times.)
    const next = await raw(a, "json", "127.0.0.6");
    for (let attempt = 1; tokenOf(next) === undefined && attempt <= 20; attempt++) {
      send(next, 1, "alice", "server", JOINED);
      await until(() => tokenOf(next) !== undefined || errors(next).length === attempt);
      if (tokenOf(next) === undefined) await new Promise((r) => setTimeout(r, 100));
    }
    expect(tokenOf(next)).toBeDefined();
    expect(await a.stop(), stderrOf(a)).toBe(0);
    expect(await b.stop(), stderrOf(b)).toBe(0);
  }, 60_000);
});
