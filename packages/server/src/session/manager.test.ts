import type { Connection } from "@taurus/core-conn";
import { until } from "@taurus/core-conn/testing";
import type { BinaryMessage } from "@taurus/protocol-binary";
import { describe, expect, it } from "vitest";
import { connectRaw, msg, sessionPeer, startServer } from "../test-helpers";
import { resolveSessionOptions } from "./options";
import { sessionOf } from "./session-of";
import { MemorySessionStore, type SessionStore } from "./store";

/** A raw session peer: records the control frames and data it gets. */

describe("server sessions (raw peers)", () => {
  it("bounds sessions per address: an attacker on 127.0.0.2 is refused past the bound, a user on 127.0.0.3 is served", async () => {
    const { port, server } = await startServer({
      sessions: { maxSessionsPerAddress: 3, resumeWindow: 60_000 },
      perAddress: false,
    });
    let started = 0;
    server.on("sessionStarted", () => started++);
    const answers: number[] = [];
    for (let i = 0; i < 5; i++) {
      const attacker = sessionPeer(await connectRaw(port, "127.0.0.2"));
      attacker.say(3, { v: 1 });
      await until(() => attacker.controls.length === 1);
      answers.push(attacker.controls[0]?.kind ?? 0);
    }
    expect(answers).toEqual([4, 4, 4, 6, 6]);
    const user = sessionPeer(await connectRaw(port, "127.0.0.3"));
    user.say(3, { v: 1 });
    await until(() => user.controls.length === 1);
    expect(user.controls[0]?.kind).toBe(4);
    expect(started).toBe(4);
  });

  it("counts processed messages after async handlers, acknowledges them, and replays unacknowledged frames on resume", async () => {
    const keys: string[] = [];
    let current: Connection<BinaryMessage> | undefined;
    const { port, server } = await startServer({
      sessions: { ackEvery: 2 },
      handler: {
        async onMessage(m, conn) {
          await new Promise((resolve) => setTimeout(resolve, 1));
          const s = sessionOf(conn);
          keys.push(`${s?.index}:${m.sequence}`);
        },
      },
    });
    server.on("sessionStarted", (_i, c) => {
      current = c;
    });
    const first = sessionPeer(await connectRaw(port));
    first.say(3, { v: 1 });
    await until(() => first.controls.length === 1);
    const id = first.controls[0]?.payload.id as string;
    const raw = current as Connection<BinaryMessage>;
    for (let i = 1; i <= 4; i++) raw.send(msg(i));
    for (let i = 1; i <= 3; i++) first.conn.send(msg(i));
    await until(() => first.data.length === 4 && keys.length === 3);
    expect(first.data).toEqual([1, 2, 3, 4]);
    expect(keys).toEqual(["1:1", "2:2", "3:3"]);
    // Acknowledged every 2 processed, and the rest within ackInterval.
    await until(() => first.controls.some((c) => c.kind === 5 && c.payload.received === 3));
    expect(first.controls.filter((c) => c.kind === 5).map((c) => c.payload.received)).toEqual([
      2, 3,
    ]);
    // The client acknowledges 2 of the server's 4 frames, then the connection breaks.
    first.say(5, { received: 2 });
    await until(() => raw.stats.keepalivesIn >= 2);
    raw.socket.destroy();
    await until(() => raw.state === "closed");
    // Sends to the closed connection are kept by the session, for the next one.
    expect(raw.send(msg(5))).toBe(true);
    const second = sessionPeer(await connectRaw(port));
    second.say(3, { v: 1, id, received: 2 });
    await until(() => second.controls.length === 1 && second.data.length === 3);
    expect(second.controls[0]).toMatchObject({
      kind: 4,
      payload: { id, resumed: true, received: 3 },
    });
    expect(second.data).toEqual([3, 4, 5]);
    // A resume of a session the server does not hold is answered "lost", then a new session.
    const third = sessionPeer(await connectRaw(port));
    third.say(3, { v: 1, id: "nope", received: 0 });
    await until(() => third.controls.length === 2);
    expect(third.controls.map((c) => c.kind)).toEqual([8, 4]);
  });

  it("validates its options and keeps sessions in the memory store", async () => {
    expect(resolveSessionOptions(false)).toBeUndefined();
    expect(resolveSessionOptions(true)?.resumeWindow).toBe(120_000);
    expect(() => resolveSessionOptions({ resumeWindow: 0 })).toThrow(/sessions.resumeWindow/);
    expect(() => resolveSessionOptions("yes" as never)).toThrow(/sessions/);
    const store = new MemorySessionStore();
    await store.create({
      id: "a",
      received: 0,
      sent: 0,
      acknowledged: 0,
      pending: [],
      address: "x",
      expiresAt: 0,
    });
    await store.append("a", [new Uint8Array(1), new Uint8Array(2)], 2);
    await store.acknowledge("a", 1);
    await store.received("a", 5);
    expect(await store.load("a")).toMatchObject({ sent: 2, acknowledged: 1, received: 5 });
    expect((await store.load("a"))?.pending.length).toBe(1);
    await store.detach("a", Date.now() - 1);
    expect(await store.load("a")).toBeUndefined();
    await store.attach("a");
    expect(await store.count()).toBe(1);
    await store.detach("a", 1);
    expect((await store.expire(Date.now())).map((r) => r.id)).toEqual(["a"]);
    await store.delete("a");
    await store.append("zz", [], 0);
    await store.acknowledge("zz", 1);
    await store.received("zz", 1);
    expect(await store.count()).toBe(0);
  });

  it("pushes back on send() at the buffer's bound while the client is there, ends the session past it while away, writes through a shared store, and says goodbye at shutdown", async () => {
    const inner = new MemorySessionStore();
    const calls: string[] = [];
    const shared: SessionStore = {
      create: (r) => {
        calls.push("create");
        return inner.create(r);
      },
      load: (id) => inner.load(id),
      append: (id, f, n) => {
        calls.push("append");
        return inner.append(id, f, n);
      },
      acknowledge: (id, n) => {
        calls.push("acknowledge");
        return inner.acknowledge(id, n);
      },
      received: (id, n) => inner.received(id, n),
      detach: (id, at) => inner.detach(id, at),
      attach: (id) => inner.attach(id),
      delete: (id) => {
        calls.push("delete");
        return inner.delete(id);
      },
      count: () => inner.count(),
      expire: (now) => inner.expire(now),
    };
    const lost: unknown[] = [];
    let current: Connection<BinaryMessage> | undefined;
    const { port, server } = await startServer({
      sessions: { store: shared, maxBufferedMessages: 3 },
    });
    server.on("sessionLost", (info) => lost.push(info));
    server.on("sessionStarted", (_i, c) => {
      current = c;
    });
    server.on("sessionStarted", () => {
      throw new Error("a throwing listener is reported, not thrown");
    });
    const peer = sessionPeer(await connectRaw(port));
    peer.say(3, { v: 1 });
    await until(() => peer.controls.length === 1 && current !== undefined);
    const conn = current as Connection<BinaryMessage>;
    conn.send(msg(1));
    peer.say(5, { received: 1 });
    await until(() => calls.includes("acknowledge"));
    for (let i = 2; i <= 4; i++) conn.send(msg(i));
    // Three unacknowledged: the client is there to acknowledge, so send() pushes back
    // (the message is not accepted) and the session goes on.
    expect(() => conn.send(msg(5))).toThrow(expect.objectContaining({ code: "SEND_QUEUE_FULL" }));
    expect(conn.stats.errorsByCode.SEND_QUEUE_FULL).toBe(1);
    peer.say(5, { received: 4 });
    await until(() => calls.filter((c) => c === "acknowledge").length === 2);
    conn.send(msg(5));
    await until(() => peer.data.includes(5));
    expect(peer.data).toEqual([1, 2, 3, 4, 5]);
    expect(lost).toEqual([]);
    // Away, nobody can push back: past the bound the session ends as lost.
    for (let i = 6; i <= 7; i++) conn.send(msg(i));
    peer.conn.destroy();
    await until(() => conn.state === "closed");
    conn.send(msg(8));
    expect(lost).toEqual([expect.objectContaining({ reason: "overflow", unacknowledged: 4 })]);
    expect(calls).toEqual(expect.arrayContaining(["create", "append", "acknowledge", "delete"]));
    // A second session sees the server go: goodbye, then the end; a shared store keeps it.
    const other = sessionPeer(await connectRaw(port));
    other.say(3, { v: 1 });
    await until(() => other.controls.length === 1);
    const deletes = calls.filter((c) => c === "delete").length;
    await server.close();
    expect(other.controls[1]).toMatchObject({ kind: 7, payload: { reason: "resume-elsewhere" } });
    expect(calls.filter((c) => c === "delete").length).toBe(deletes);
    expect(await inner.count()).toBe(1);
  });

  it("closes a peer that acknowledges or resumes past what was sent, ignores a second hello, and forwards sends on a replaced connection", async () => {
    const conns: Connection<BinaryMessage>[] = [];
    const { port, server } = await startServer({ sessions: true });
    server.on("sessionStarted", (_i, c) => void conns.push(c));
    server.on("sessionResumed", (_i, c) => void conns.push(c));
    const liar = sessionPeer(await connectRaw(port));
    liar.say(3, { v: 1 });
    await until(() => liar.controls.length === 1);
    liar.say(3, { v: 1 }); // a second hello on the connection: ignored
    liar.say(5, { received: 9 });
    await until(() => liar.conn.state === "closed");
    const peer = sessionPeer(await connectRaw(port));
    peer.say(3, { v: 1 });
    await until(() => peer.controls.length === 1);
    const id = peer.controls[0]?.payload.id as string;
    const greedy = sessionPeer(await connectRaw(port));
    greedy.say(3, { v: 1, id, received: 5 });
    await until(() => greedy.conn.state === "closed");
    // A resume while the first connection is still open replaces it.
    const old = conns[1] as Connection<BinaryMessage>;
    const next = sessionPeer(await connectRaw(port));
    next.say(3, { v: 1, id, received: 0 });
    await until(() => next.controls.length === 1 && old.state === "closed");
    expect(old.send(msg(42))).toBe(true);
    await until(() => next.data.length === 1);
    expect(next.data).toEqual([42]);
  });
  it("acknowledges what follows an acknowledgement by count within ackInterval, every time (the timer is armed again once it fired)", async () => {
    const { port } = await startServer({ sessions: { ackEvery: 2, ackInterval: 30 } });
    const peer = sessionPeer(await connectRaw(port));
    peer.say(3, { v: 1 });
    await until(() => peer.controls.length === 1);
    const acks = () => peer.controls.filter((c) => c.kind === 5).map((c) => c.payload.received);
    for (let i = 1; i <= 3; i++) peer.conn.send(msg(i));
    await until(() => acks().includes(3), { what: "the third acknowledged" });
    expect(acks()).toEqual([2, 3]);
    peer.conn.send(msg(4));
    await until(() => acks().includes(4), { what: "the fourth acknowledged" });
    expect(acks()).toEqual([2, 3, 4]);
  });
});
