// Two resumes of one session while the first still waits for the old handler: the newer one
// wins, the earlier connection is closed unanswered, and one connection serves the session.
import type { Connection } from "@taurus/core-conn";
import { until } from "@taurus/core-conn/testing";
import type { BinaryMessage } from "@taurus/protocol-binary";
import { describe, expect, it } from "vitest";
import { identityOf } from "../admission";
import { connectRaw, msg, onCleanup, sessionPeer, startServer } from "../test-helpers";
import { sessionOf } from "./session-of";

const ID = "T".repeat(22);
const wait = (what: string) => ({ what, timeout: 3000 });

/** Whether the server closed the connection under `peer`. */
function closedFlag(conn: Connection<BinaryMessage>): () => boolean {
  let closed = false;
  conn.on("close", () => {
    closed = true;
  });
  return () => closed;
}

describe("a second resume while the first waits for the old handler", () => {
  it("closes the first resuming connection; only the latest is welcomed and served", async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    onCleanup(() => release()); // a failed test leaves no handler waiting
    let handling = false;
    const handled: string[] = [];
    const resumed: Connection<BinaryMessage>[] = [];
    const { port, server } = await startServer({
      sessions: { resumeWindow: 60_000 },
      perAddress: false,
      handler: {
        // Admitted by its first message (delivered too): the session keeps the identity.
        admit: () => ({ accept: true, identity: { user: "ann" }, deliver: true }),
        async onMessage(m, conn) {
          handled.push(`${m.sequence}@${sessionOf(conn)?.index}`);
          if (m.sequence !== 1) return;
          handling = true;
          await gate; // the first connection's handler, in flight across both resumes
        },
      },
    });
    server.on("sessionResumed", (_info, conn) => resumed.push(conn));

    const a = sessionPeer(await connectRaw(port));
    const aClosed = closedFlag(a.conn);
    a.say(3, { v: 1, id: ID, fresh: true });
    await until(() => a.controls.length === 1, wait("welcome"));
    a.conn.send(msg(1));
    await until(() => handling, wait("the handler running"));

    const b = sessionPeer(await connectRaw(port));
    const bClosed = closedFlag(b.conn);
    b.say(3, { v: 1, id: ID, received: 0 });
    await until(aClosed, wait("the first resume taking the session off a"));
    const c = sessionPeer(await connectRaw(port));
    c.say(3, { v: 1, id: ID, received: 0 });
    await until(bClosed, wait("the second resume closing the first"));
    expect(b.controls).toEqual([]);
    release();

    await until(() => c.controls.length === 1, wait("the welcome on c"));
    expect(c.controls[0]).toMatchObject({
      kind: 4,
      payload: { id: ID, resumed: true, received: 1 },
    });
    expect(resumed).toHaveLength(1);
    const served = resumed[0] as Connection<BinaryMessage>;
    expect([...server.connections()]).toEqual([served]);
    expect(identityOf(served)).toEqual({ user: "ann" });
    // The session goes on on c alone: its next message is the session's second.
    c.conn.send(msg(2));
    await until(() => handled.length === 2, wait("message 2 handled"));
    expect(handled).toEqual(["1@1", "2@2"]);
    served.send(msg(50));
    await until(() => c.data.length === 1, wait("a message on c"));
    expect(c.data).toEqual([50]);
  });
});
