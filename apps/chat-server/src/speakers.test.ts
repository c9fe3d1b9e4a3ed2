// Who speaks in the room, end to end against the built chat-server: names bound at join,
// forged names and notices, posts before a join, taken names and their reclaim tokens,
// private messages. Attackers connect from 127.0.0.2, users from 127.0.0.3 and up.
import { afterEach, describe, expect, it } from "vitest";
import type { ChatMessage } from "./chat";
import { type Peer, peer, type Running, startChatServer, stderrOf, until } from "./test-chat";

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

const ATTACKER = "127.0.0.2";
const JOINED = "加入了聊天室";

/** Every join and leave at once (no coalescing), so each test sees each notice. */
const start = (): Promise<Running> => startChatServer(["--notice-interval", "0"], cleanups);

type Kind = "json" | "binary";
const join = (server: Running, kind: Kind, name: string | null, localAddress: string) =>
  peer(kind === "json" ? server.json : server.binary, kind, cleanups, { name, localAddress });

const say = (p: Peer, content: string, from = "", to = "", type = 2) =>
  p.send({ type, sequence: 1, from, to, content });

const has = (p: Peer, match: Partial<ChatMessage>) =>
  p.inbox.some((m) => Object.entries(match).every(([k, v]) => m[k as keyof ChatMessage] === v));

/** Waits for a sentinel from `from` at every peer in `to`: whatever was sent before it has arrived. */
async function sentinel(from: Peer, to: Peer[], tag: string): Promise<void> {
  say(from, tag);
  await until(() => to.every((p) => has(p, { type: 2, content: tag })));
}

const errors = (p: Peer) =>
  p.inbox.filter((m) => m.type === 1 && m.from === "server" && m.content.startsWith("error: "));

describe.each<[Kind, Kind]>([
  ["json", "binary"],
  ["binary", "json"],
])("names bound at join (attacker on %s, users on both)", (evil, other) => {
  it("relays only under the bound name, only from the server, only after a join", async () => {
    const server = await start();
    const alice = await join(server, other, "alice", "127.0.0.3");
    // Joins on two sockets race: each is awaited, so the notices' order is the joins'.
    await until(() => has(alice, { from: "alice", content: JOINED }));
    const bob = await join(server, evil, "bob", "127.0.0.4");
    await until(() => has(alice, { from: "bob", content: JOINED }));
    const mallory = await join(server, evil, "mallory", ATTACKER);
    const eve = await join(server, evil, null, ATTACKER);
    await until(() => has(alice, { from: "mallory", content: JOINED }));

    // Impersonation: mallory's frame says alice; the room says mallory.
    say(mallory, "i am alice", "alice");
    // A forged server notice: not relayed; mallory hears why.
    say(mallory, "alice disconnected", "server", "", 1);
    // Posting before a join, and joining under a taken name (any case).
    say(eve, "before joining", "eve");
    say(eve, JOINED, "ALICE", "", 1);
    say(eve, "still not joined", "ALICE");
    // Both were answered: what they sent has been handled; the sentinel then shows that
    // nothing of it reached anyone.
    await until(() => errors(eve).length === 3 && errors(mallory).length === 1);
    await sentinel(alice, [alice, bob, mallory], "sentinel-1");

    for (const p of [alice, bob]) {
      expect(p.inbox.filter((m) => m.content === "i am alice")).toEqual([
        { type: 2, sequence: 1, from: "mallory", to: "", content: "i am alice" },
      ]);
      expect(has(p, { content: "alice disconnected" })).toBe(false);
      expect(has(p, { content: "before joining" })).toBe(false);
      expect(has(p, { content: "still not joined" })).toBe(false);
      expect(p.inbox.filter((m) => m.content === JOINED).map((m) => m.from)).not.toContain("ALICE");
      expect(errors(p)).toEqual([]);
    }
    expect(errors(mallory).map((m) => m.content)).toEqual([
      "error: system messages come from the server only",
    ]);
    expect(errors(eve).map((m) => m.content)).toEqual([
      "error: join first: send a system message with your name",
      "error: cannot join: ALICE is taken",
      "error: join first: send a system message with your name",
    ]);

    // A peer that never joined leaves no notice; one that joined is announced by name.
    eve.close();
    await until(() => eve.closed);
    mallory.close();
    await until(() => has(alice, { content: "mallory disconnected" }));
    await sentinel(bob, [alice, bob], "sentinel-2");
    const notices = alice.inbox.filter((m) => m.type === 1).map((m) => `${m.from}: ${m.content}`);
    expect(notices).toEqual([
      `alice: ${JOINED}`,
      `bob: ${JOINED}`,
      `mallory: ${JOINED}`,
      "server: mallory disconnected",
    ]);
    expect(alice.inbox.some((m) => /127\.0\.0/.test(m.content))).toBe(false);
    expect(await server.stop(), stderrOf(server)).toBe(0);
  });
});

describe("taken names", () => {
  it("are refused when invalid or taken, and given back for the token handed out at join", async () => {
    const server = await start();
    const bob = await join(server, "binary", "bob", "127.0.0.4");
    // Names a room cannot take.
    const odd = await join(server, "json", null, ATTACKER);
    for (const name of ["server", "#general", "a b", "x".repeat(33)]) say(odd, JOINED, name, "", 1);
    await until(() => errors(odd).length === 4);
    expect(errors(odd).map((m) => m.content)).toEqual([
      'error: cannot join: "server" is the server\'s own name',
      "error: cannot join: a name does not start with #, / or @",
      "error: cannot join: a name has no spaces or control characters",
      "error: cannot join: a name has at most 32 characters",
    ]);

    // alice asks for a token (to: "server"); only she gets it.
    const alice = await join(server, "json", null, "127.0.0.3");
    say(alice, JOINED, "alice", "server", 1);
    await until(() => alice.inbox.some((m) => m.content.startsWith("/token ")));
    const token = alice.inbox.find((m) => m.content.startsWith("/token "))!;
    expect(token).toMatchObject({ type: 1, from: "server", to: "alice" });
    const secret = token.content.slice("/token ".length);

    // A wrong token takes nothing.
    const thief = await join(server, "binary", null, ATTACKER);
    say(thief, "/reclaim not-the-token", "alice", "server", 1);
    await until(() => errors(thief).length === 1);
    expect(errors(thief)[0]!.content).toBe("error: cannot join: alice is taken");

    // alice again, on a new connection (the old one still held): the name comes back, the
    // old connection is closed, and the room hears of neither.
    const again = await join(server, "binary", null, "127.0.0.3");
    say(again, `/reclaim ${secret}`, "alice", "server", 1);
    await until(() => alice.closed);
    await until(() => again.inbox.some((m) => m.content.startsWith("/token ")));
    expect(again.inbox.find((m) => m.content.startsWith("/token "))!.content).not.toBe(
      token.content,
    );
    await sentinel(again, [bob, again], "back again");
    expect(bob.inbox.find((m) => m.content === "back again")!.from).toBe("alice");
    expect(bob.inbox.some((m) => m.content === "alice disconnected")).toBe(false);
    expect(bob.inbox.some((m) => m.content.startsWith("/token"))).toBe(false);
    expect(has(bob, { content: `/reclaim ${secret}` })).toBe(false);
    expect(await server.stop(), stderrOf(server)).toBe(0);
  });
});

describe("private messages", () => {
  it("reach only the addressee and the sender; an unknown addressee is an error", async () => {
    const server = await start();
    const alice = await join(server, "json", "alice", "127.0.0.3");
    const bob = await join(server, "binary", "bob", "127.0.0.4");
    const carol = await join(server, "json", "carol", "127.0.0.5");
    await until(() => has(alice, { from: "carol", content: JOINED }));

    say(alice, "psst", "alice", "BOB");
    say(alice, "anyone?", "alice", "nobody");
    say(bob, "note to self", "bob", "bob");
    await until(() => has(bob, { content: "psst" }) && has(alice, { content: "psst" }));
    await until(() => errors(alice).length === 1);
    await sentinel(carol, [alice, bob, carol], "sentinel");

    const psst = { type: 2, sequence: 1, from: "alice", to: "bob", content: "psst" };
    expect(alice.inbox.filter((m) => m.content === "psst")).toEqual([psst]);
    expect(bob.inbox.filter((m) => m.content === "psst")).toEqual([psst]);
    expect(bob.inbox.filter((m) => m.content === "note to self")).toHaveLength(1);
    for (const m of ["psst", "anyone?", "note to self"])
      expect(has(carol, { content: m })).toBe(false);
    expect(has(alice, { content: "note to self" })).toBe(false);
    expect(errors(alice)[0]!.content).toBe("error: no user named nobody");
    expect(await server.stop(), stderrOf(server)).toBe(0);
  });
});
