import type { Connection, ControlPayload } from "@taurus/core-conn";
import { until } from "@taurus/core-conn/testing";
import { type BinaryMessage, binaryControl } from "@taurus/protocol-binary";
import { describe, expect, it } from "vitest";
import { connectRaw, msg, startServer } from "../test-helpers";
import { MemorySessionStore } from "./store";

/** A raw session peer: one log of control kinds (`c<kind>`) and data sequences (`d<n>`), in order. */
function peer(conn: Connection<BinaryMessage>) {
  const log: string[] = [];
  const payloads: ControlPayload[] = [];
  conn.attachSession({
    sent: () => undefined,
    sendAfterClose: () => false,
    control: (f) => {
      log.push(`c${f.kind}`);
      payloads.push(f.payload);
    },
  });
  conn.on("message", (m) => void log.push(`d${m.sequence}`));
  const say = (kind: number, payload: ControlPayload) =>
    conn.sendControl(binaryControl.encode(kind, payload));
  return { log, payloads, say };
}

/** A store the server treats as shared (as Redis would be). */
const shared = () => new MemorySessionStore({ shared: true });

describe("server sessions: replies and shared stores (raw peers)", () => {
  it("marks a request's reply; another server replays it marked (the store keeps the mark) and keeps the admission", async () => {
    const store = shared();
    const admitted: number[] = [];
    const config = {
      sessions: { store },
      handler: {
        admit: (first: BinaryMessage) => {
          admitted.push(first.sequence);
          return { accept: true as const, identity: { user: "ann" } };
        },
        async onMessage(m: BinaryMessage, conn: Connection<BinaryMessage>) {
          await Promise.resolve();
          conn.send(msg(99)); // not the reply: another sequence
          conn.send(msg(m.sequence, "reply"));
        },
      },
    };
    const first = await startServer(config);
    const connA = await connectRaw(first.port);
    const a = peer(connA);
    a.say(3, { v: 1 });
    await until(() => a.log.includes("c4"));
    const id = a.payloads[0]?.id as string;
    connA.send(msg(1, "login")); // admission: client frame 1
    a.say(10, {}); // the next data frame is a request
    connA.send(msg(5, "request")); // client frame 2
    await until(() => a.log.includes("d5"));
    expect(a.log).toEqual(["c4", "d99", "c9", "d5"]);
    expect(a.payloads[1]).toEqual({ to: 2 });
    await first.server.close();

    const second = await startServer(config);
    const connB = await connectRaw(second.port);
    const b = peer(connB);
    b.say(3, { v: 1, id, received: 0 }); // nothing acknowledged: all of it again
    await until(() => b.log.includes("d5"));
    expect(b.log).toEqual(["c4", "d99", "c9", "d5"]);
    expect(b.payloads[0]).toMatchObject({ id, resumed: true, received: 2 });
    expect(b.payloads[1]).toEqual({ to: 2 });
    b.say(10, {});
    connB.send(msg(7, "again")); // client frame 3: no second admission
    await until(() => b.log.includes("d7"));
    expect(b.log.slice(4)).toEqual(["d99", "c9", "d7"]);
    expect(b.payloads[2]).toEqual({ to: 3 });
    // Not flagged as a request: its answer, same sequence, carries no mark.
    connB.send(msg(8, "plain")); // client frame 4
    await until(() => b.log.includes("d8"));
    expect(b.log.slice(7)).toEqual(["d99", "d8"]);
    expect(admitted).toEqual([1]);
  });

  it("brings a lagging store level when the client got more than it holds, so the next restore resumes", async () => {
    // A server died after its frames 6..8 reached the client and before their store writes
    // landed: the store says 5 sent, the client says 8 received.
    const store = shared();
    const id = "L".repeat(22);
    const frame = new Uint8Array(8); // never sent again: the client has it
    await store.create({
      id,
      received: 2,
      sent: 5,
      acknowledged: 3,
      pending: [frame, frame],
      address: "127.0.0.1",
      identity: "null",
      expiresAt: 0,
    });
    const config = { sessions: { store }, handler: { onMessage: () => undefined } };
    const first = await startServer(config);
    const connA = await connectRaw(first.port);
    const a = peer(connA);
    a.say(3, { v: 1, id, received: 8 });
    await until(() => a.log.includes("c4"));
    expect(a.payloads[0]).toMatchObject({ id, resumed: true, received: 2 });
    const [conn] = [...first.server.connections()];
    (conn as Connection<BinaryMessage>).send(msg(9, "after"));
    await until(() => a.log.includes("d9"));
    expect(await store.load(id)).toMatchObject({ sent: 9, acknowledged: 8, received: 2 });
    expect((await store.load(id))?.pending).toHaveLength(1);
    await first.server.close();

    // Another server restores it: consistent, so resumed (not lost), frame 9 replayed.
    const second = await startServer(config);
    const b = peer(await connectRaw(second.port));
    b.say(3, { v: 1, id, received: 8 });
    await until(() => b.log.includes("d9"));
    expect(b.log).toEqual(["c4", "d9"]);
    expect(b.payloads[0]).toMatchObject({ id, resumed: true });
  });

  it("answers lost for a session the shared store does not have, then starts a new one", async () => {
    const { port } = await startServer({ sessions: { store: shared() } });
    const conn = await connectRaw(port);
    const p = peer(conn);
    p.say(3, { v: 1, id: "nobody", received: 4 });
    await until(() => p.log.includes("c4"));
    expect(p.log).toEqual(["c8", "c4"]);
    expect(p.payloads[0]).toMatchObject({ id: "nobody", reason: "unknown" });
  });
});
