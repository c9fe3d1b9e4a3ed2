// A resume waits for the old connection's handler in flight before it answers: a new
// connection cut in that wait leaves the session away again, as any disconnect does.
import type { Connection, SessionLostInfo } from "@taurus/core-conn";
import { until } from "@taurus/core-conn/testing";
import type { BinaryMessage } from "@taurus/protocol-binary";
import { describe, expect, it } from "vitest";
import { connectRaw, msg, onCleanup, sessionPeer, startServer } from "../test-helpers";
import { MemorySessionStore } from "./store";

const ID = "R".repeat(22);
const wait = (what: string) => ({ what, timeout: 3000 });

/** A shared store that records the acknowledgements written (a resume writes its hello's count first). */
class WatchedStore extends MemorySessionStore {
  readonly acknowledged: number[] = [];
  constructor() {
    super({ shared: true });
  }
  override async acknowledge(id: string, acknowledged: number): Promise<void> {
    this.acknowledged.push(acknowledged);
    return super.acknowledge(id, acknowledged);
  }
}

describe("a resume whose connection is cut while it waits for the old handler", () => {
  it("leaves the session away: it expires, is reported lost, and frees its slot", async () => {
    const store = new WatchedStore();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let handling = false;
    let closes = 0;
    const conns: Connection<BinaryMessage>[] = [];
    const { port, server } = await startServer({
      sessions: { store, resumeWindow: 200, maxSessions: 1 },
      perAddress: false,
      handler: {
        async onMessage(m) {
          if (m.sequence !== 1) return;
          handling = true;
          await gate; // the old connection's handler, in flight across the resume
        },
        onConnect(conn) {
          conns.push(conn);
        },
        onClose() {
          closes++;
        },
      },
    });
    onCleanup(() => release()); // a failed test leaves no handler waiting
    const lost: SessionLostInfo[] = [];
    server.on("sessionLost", (info) => lost.push(info));

    const a = sessionPeer(await connectRaw(port));
    a.say(3, { v: 1, id: ID, fresh: true });
    await until(() => a.controls.length === 1, wait("welcome"));
    a.conn.send(msg(1));
    await until(() => handling, wait("the handler running"));
    a.conn.destroy(); // the server closes it once its handler is done, or when a resume takes over

    const b = sessionPeer(await connectRaw(port));
    b.say(3, { v: 1, id: ID, received: 0 });
    // The resume started (it writes the hello's count), and waits for the handler.
    await until(() => store.acknowledged.length === 1, wait("the resume waiting"));
    // The server closes it meanwhile (an idle timeout, say: it reads nothing while it waits).
    conns[1]?.destroy();
    await until(() => closes === 2, wait("both connections closed"));
    expect(b.controls).toEqual([]);
    release();

    // Away again: its resume window passes, it is reported lost with the handled message.
    await until(() => lost.length === 1, wait("sessionLost"));
    expect(lost[0]).toMatchObject({ id: ID, reason: "expired", unacknowledged: 0, received: 1 });
    expect(await store.load(ID)).toBeUndefined();
    const next = sessionPeer(await connectRaw(port));
    next.say(3, { v: 1 });
    await until(() => next.controls.length === 1, wait("an answer"));
    expect(next.controls[0]).toMatchObject({ kind: 4, payload: { resumed: false } });
  });
});
