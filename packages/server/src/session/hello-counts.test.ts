// A hello whose `received` is not a count of frames (a fraction, past 2^53, negative) is a
// broken or hostile peer: it is closed before the count reaches a session or the store.
import type { SessionLostInfo } from "@taurus/core-conn";
import { until } from "@taurus/core-conn/testing";
import { describe, expect, it } from "vitest";
import { binary, connectRaw, msg, sessionPeer, startServer } from "../test-helpers";
import { MemorySessionStore } from "./store";

const ID = "H".repeat(22);
const wait = (what: string) => ({ what, timeout: 3000 });

describe("a resume hello with a received count that is not a count", () => {
  it("is closed before the shared store is touched, and leaves no session held", async () => {
    const store = new MemorySessionStore({ shared: true }); // as Redis would be
    // Left by a server that stopped: detached, frame 1 unacknowledged, 1 client frame received.
    const expiresAt = Date.now() + 60_000;
    await store.create({
      id: ID,
      received: 1,
      sent: 1,
      acknowledged: 0,
      pending: [binary.encode(msg(7))],
      address: "127.0.0.1",
      expiresAt,
    });
    const { port, server } = await startServer({
      sessions: { store, resumeWindow: 200, maxSessions: 1 },
      perAddress: false,
      handler: { onMessage: () => undefined },
    });
    const lost: SessionLostInfo[] = [];
    server.on("sessionLost", (info) => lost.push(info));

    for (const received of [0.5, 1e300, -1]) {
      const bad = sessionPeer(await connectRaw(port));
      let closed = false;
      bad.conn.on("close", () => {
        closed = true;
      });
      bad.say(3, { v: 1, id: ID, received });
      await until(() => closed, wait(`the hello with received ${received} closed`));
      expect(bad.controls).toEqual([]);
      // The stored session is as it was: not rewritten, still expiring.
      expect(await store.load(ID)).toMatchObject({
        sent: 1,
        acknowledged: 0,
        received: 1,
        expiresAt,
      });
    }

    // The session's own client resumes it (the one session the server may hold).
    const good = sessionPeer(await connectRaw(port));
    good.say(3, { v: 1, id: ID, received: 0 });
    await until(() => good.data.length === 1, wait("the replay"));
    expect(good.controls[0]).toMatchObject({
      kind: 4,
      payload: { id: ID, resumed: true, received: 1 },
    });
    expect(good.data).toEqual([7]);
    // Away past its resume window: reported lost, and its slot is free again.
    good.conn.destroy();
    await until(() => lost.length === 1, wait("sessionLost"));
    expect(lost[0]).toMatchObject({ id: ID, reason: "expired", unacknowledged: 1, received: 1 });
    const next = sessionPeer(await connectRaw(port));
    next.say(3, { v: 1 });
    await until(() => next.controls.length === 1, wait("an answer"));
    expect(next.controls[0]).toMatchObject({ kind: 4, payload: { resumed: false } });
  });

  it("leaves a stored session that sent nothing as it was, and its slot free (received 0.5)", async () => {
    const store = new MemorySessionStore({ shared: true });
    const expiresAt = Date.now() + 60_000;
    await store.create({
      id: ID,
      received: 1,
      sent: 0,
      acknowledged: 0,
      pending: [],
      address: "127.0.0.1",
      expiresAt,
    });
    const { port } = await startServer({
      sessions: { store, resumeWindow: 200, maxSessions: 1 },
      perAddress: false,
    });
    const bad = sessionPeer(await connectRaw(port));
    let closed = false;
    bad.conn.on("close", () => {
      closed = true;
    });
    bad.say(3, { v: 1, id: ID, received: 0.5 });
    await until(() => closed, wait("the bad hello closed"));
    expect(await store.load(ID)).toEqual({
      id: ID,
      received: 1,
      sent: 0,
      acknowledged: 0,
      pending: [],
      address: "127.0.0.1",
      expiresAt,
    });
    // The server holds no session: a new one is granted, not refused ("limit").
    const next = sessionPeer(await connectRaw(port));
    next.say(3, { v: 1 });
    await until(() => next.controls.length === 1, wait("an answer"));
    expect(next.controls[0]).toMatchObject({ kind: 4, payload: { resumed: false } });
  });
});
