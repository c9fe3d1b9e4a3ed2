// server.sessionStored(conn): when what a server sent on a session is in a shared store, so
// that it survives a crash of the process (issue 13). send() returns before the store has
// the frame; a process killed in between loses it, and sessionStored is how to know.
import type { Connection } from "@taurus/core-conn";
import type { BinaryMessage } from "@taurus/protocol-binary";
import { describe, expect, it } from "vitest";
import { connectRaw, msg, sessionPeer, startServer, until } from "../test-helpers";
import { MemorySessionStore } from "./store";

/** A shared store whose appends wait until `open()` (or fail, after `fail()`). */
class GatedStore extends MemorySessionStore {
  private gate: Promise<void>;
  private openGate: () => void = () => undefined;
  private failing = false;

  constructor() {
    super({ shared: true });
    this.gate = new Promise((resolve) => {
      this.openGate = resolve;
    });
  }

  open(): void {
    this.openGate();
  }

  fail(): void {
    this.failing = true;
  }

  override async append(
    id: string,
    frames: readonly Uint8Array[],
    sent: number,
    replyTo?: number,
  ): Promise<void> {
    const failing = this.failing;
    await this.gate;
    if (failing) throw new Error("store unreachable");
    return super.append(id, frames, sent, replyTo);
  }
}

async function sessionOn(
  store: MemorySessionStore | boolean,
  hello = true,
): Promise<{
  conn: Connection<BinaryMessage>;
  id: unknown;
  stored: (c: Connection<BinaryMessage>) => Promise<boolean>;
}> {
  const conns: Connection<BinaryMessage>[] = [];
  const { port, server } = await startServer({
    sessions: typeof store === "boolean" ? store : { store },
    handler: { onConnect: (c) => void conns.push(c) },
  });
  const peer = sessionPeer(await connectRaw(port, "127.0.0.2"), { session: hello });
  if (hello) {
    peer.say(3, { v: 1 });
    await until(() => peer.controls.length === 1, { what: "welcome" });
  } else peer.conn.send(msg(1, "no session"));
  await until(() => conns.length === 1, { what: "connection" });
  const conn = conns[0] as Connection<BinaryMessage>;
  return { conn, id: peer.controls[0]?.payload.id, stored: (c) => server.sessionStored(c) };
}

describe("server.sessionStored", () => {
  it("resolves true only once the shared store has every frame sent so far", async () => {
    const store = new GatedStore();
    const { conn, id, stored } = await sessionOn(store);
    for (let i = 1; i <= 3; i++) conn.send(msg(i, `m${i}`));
    let settled: boolean | undefined;
    void stored(conn).then((ok) => {
      settled = ok;
    });
    await new Promise((r) => setTimeout(r, 30));
    expect(settled).toBeUndefined(); // the store has not written them yet
    store.open();
    await until(() => settled !== undefined, { what: "stored" });
    expect(settled).toBe(true);
    const record = await store.load(String(id));
    expect(record).toMatchObject({ sent: 3, acknowledged: 0 });
    expect(record?.pending).toHaveLength(3);
  });

  it("waits for the hello: what onConnect sent before it is stored with the session", async () => {
    const store = new MemorySessionStore({ shared: true });
    let early: Promise<boolean> | undefined;
    const { port, server } = await startServer({
      sessions: { store },
      handler: {
        onConnect: (c) => {
          c.send(msg(1, "before the hello"));
          early = server.sessionStored(c);
        },
      },
    });
    const peer = sessionPeer(await connectRaw(port, "127.0.0.2"));
    await until(() => early !== undefined, { what: "onConnect" });
    peer.say(3, { v: 1 });
    expect(await early).toBe(true);
    await until(() => peer.controls.length === 1, { what: "welcome" });
    const id = peer.controls[0]?.payload.id;
    expect(await store.load(String(id))).toMatchObject({ sent: 1 });
  });

  it("resolves false when a write of a sent frame failed", async () => {
    const store = new GatedStore();
    const { conn, stored } = await sessionOn(store);
    store.fail();
    conn.send(msg(1, "lost to the store"));
    store.open();
    expect(await stored(conn)).toBe(false);
  });

  it("resolves false where nothing survives a crash: the in-memory store, or no session", async () => {
    const memory = await sessionOn(true);
    memory.conn.send(msg(1));
    expect(await memory.stored(memory.conn)).toBe(false);
    const plain = await sessionOn(new MemorySessionStore({ shared: true }), false);
    plain.conn.send(msg(1));
    expect(await plain.stored(plain.conn)).toBe(false);
  });
});
