// A shared store that failed to take a session's received count: a resume must not welcome
// the client with the store's older count, or the client sends again frames the server
// already handled (handled twice, and the two sides' counts apart from then on).
import type { SessionLostInfo } from "@taurus/core-conn";
import { until } from "@taurus/core-conn/testing";
import { describe, expect, it } from "vitest";
import { connectRaw, msg, sessionPeer, startServer } from "../test-helpers";
import { MemorySessionStore } from "./store";

const ID = "S".repeat(22);
const wait = (what: string) => ({ what, timeout: 3000 });

/** A shared store whose `received` writes fail while `failing` is above 0 (counted down). */
class FlakyStore extends MemorySessionStore {
  failing = 0;
  override async received(id: string, count: number): Promise<void> {
    if (this.failing > 0) {
      this.failing--;
      throw new Error("the store is away");
    }
    return super.received(id, count);
  }
}

/** A session with frames 1 and 2 handled, the store's write of the second refused; then cut. */
async function handledTwoThenCut(failing: number) {
  const store = new FlakyStore({ shared: true });
  const handled: number[] = [];
  const { port, server } = await startServer({
    sessions: { store, resumeWindow: 60_000, ackEvery: 100, ackInterval: 20 },
    handler: {
      onMessage: (m) => {
        handled.push(m.sequence);
      },
    },
  });
  const lost: SessionLostInfo[] = [];
  server.on("sessionLost", (info) => lost.push(info));
  const first = sessionPeer(await connectRaw(port));
  first.say(3, { v: 1, id: ID, fresh: true });
  await until(() => first.controls.length === 1, wait("the welcome"));
  first.conn.send(msg(1));
  await until(() => handled.length === 1, wait("frame 1 handled"));
  await until(async () => (await store.load(ID))?.received === 1, wait("frame 1 stored"));
  store.failing = failing;
  first.conn.send(msg(2));
  await until(() => handled.length === 2, wait("frame 2 handled"));
  first.conn.destroy();
  await until(() => server.connectionCount === 0, wait("the cut seen"));
  const second = sessionPeer(await connectRaw(port));
  second.say(3, { v: 1, id: ID, received: 0 });
  return { store, handled, lost, second };
}

describe("a resume after the shared store missed a received count", () => {
  it("writes the count again and welcomes with it: nothing is handled twice", async () => {
    const { store, handled, lost, second } = await handledTwoThenCut(1);
    await until(() => second.controls.length === 1, wait("the welcome"));
    expect(second.controls[0]).toMatchObject({
      kind: 4,
      payload: { id: ID, resumed: true, received: 2 },
    });
    expect((await store.load(ID))?.received).toBe(2);
    // The client sends nothing again (the welcome covers 1 and 2) and goes on with 3.
    second.conn.send(msg(3));
    await until(() => handled.length === 3, wait("frame 3 handled"));
    await until(
      () => second.controls.some((f) => f.kind === 5 && f.payload.received === 3),
      wait("the ack of 3"),
    );
    expect(handled).toEqual([1, 2, 3]);
    // Never more acknowledged than the client sent.
    for (const f of second.controls)
      if (f.kind === 5) expect(f.payload.received).toBeLessThanOrEqual(3);
    expect(lost).toEqual([]);
  });

  it("loses the session, reported on both sides, when the store still refuses: never a welcome with the older count", async () => {
    const { handled, lost, second } = await handledTwoThenCut(1_000);
    await until(() => second.controls.length === 2, wait("lost, then a new session"));
    expect(second.controls[0]).toMatchObject({
      kind: 8,
      payload: { id: ID, reason: "unknown", received: 2 },
    });
    expect(second.controls[1]).toMatchObject({ kind: 4, payload: { resumed: false } });
    expect(second.controls[1]?.payload.id).not.toBe(ID);
    expect(lost).toMatchObject([{ id: ID, reason: "unknown", received: 2 }]);
    // The new session serves the connection.
    second.conn.send(msg(1));
    await until(() => handled.length === 3, wait("the new session's first frame"));
    expect(handled).toEqual([1, 2, 1]);
  });
});
