import type { Connection } from "@taurus/core-conn";
import { startCutProxy } from "@taurus/core-conn/testing";
import { type BinaryMessage, createBinaryProtocol } from "@taurus/protocol-binary";
import { createServer } from "@taurus/server";
import { afterEach, describe, expect, it } from "vitest";
import { onCleanup, runCleanups, sessionClient, until } from "../fixtures/harness";

afterEach(runCleanups);

const binary = createBinaryProtocol();
const LINE = 1;
const REQUEST = 2;
const REPLY = 3;
const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const read = (m: BinaryMessage): string => new TextDecoder().decode(m.data);
const msg = (type: number, sequence: number, s: string): BinaryMessage => ({
  version: 1,
  type,
  sequence,
  data: text(s),
});

function gate(): { wait: Promise<void>; open: () => void } {
  let open = (): void => undefined;
  const wait = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { wait, open };
}

describe("requests within a session (issue 13 item 6)", () => {
  it("an ordinary message with a colliding sequence never resolves a pending request", async () => {
    const conns: Connection<BinaryMessage>[] = [];
    const lineSent = gate();
    let requests = 0;
    const server = createServer<BinaryMessage>({
      protocol: binary,
      sessions: true,
      handler: {
        onConnect: (conn) => void conns.push(conn),
        async onMessage(m, conn) {
          if (m.type === REQUEST) {
            requests++;
            await lineSent.wait; // another user's line reaches the requester first
            conn.send(msg(REPLY, m.sequence, "pong"));
          } else if (m.type === LINE) {
            for (const other of conns) if (other !== conn) other.send(m); // same sequence
            lineSent.open();
          }
        },
      },
    });
    const { port } = await server.listen(0, "127.0.0.1");
    onCleanup(() => server.close());
    const seen: string[] = [];
    const make = (onMessage?: (m: BinaryMessage) => void) =>
      sessionClient(port, { protocol: binary, handler: onMessage ? { onMessage } : {} });
    const alice = make((m) => seen.push(read(m)));
    const bob = make();
    await Promise.all([alice.connect(), bob.connect()]);
    await until(() => conns.length === 2, "both connected");
    const reply = alice.request(msg(REQUEST, 0, "ping"), { timeout: 10_000 });
    await until(() => requests === 1, "request handled");
    // Alice's first request has sequence 1: Bob's line collides with it.
    bob.send(msg(LINE, 1, "hello everyone"));
    const answer = await reply;
    expect(answer.type).toBe(REPLY);
    expect(read(answer)).toBe("pong");
    await until(() => seen.length === 1, "the line delivered");
    expect(seen).toEqual(["hello everyone"]);
  }, 20_000);

  it("a request whose connection is cut mid-handler is handled once and answered once, also after a second cut", async () => {
    const inHandler = gate();
    let handled = 0;
    const release = gate();
    const server = createServer<BinaryMessage>({
      protocol: binary,
      sessions: true,
      handler: {
        async onMessage(m, conn) {
          if (m.type !== REQUEST) return;
          handled++;
          inHandler.open();
          await release.wait;
          conn.send(msg(REPLY, m.sequence, `answer ${handled}`));
        },
      },
    });
    const { port } = await server.listen(0, "127.0.0.1");
    onCleanup(() => server.close());
    const proxy = await startCutProxy(port);
    onCleanup(() => proxy.close());
    const ordinary: string[] = [];
    const client = sessionClient(proxy.port, {
      handler: { onMessage: (m) => void ordinary.push(read(m)) },
    });
    const resumed: number[] = [];
    client.on("session", (info) => {
      if (info.resumed) resumed.push(info.replayed);
    });
    await client.connect();
    const reply = client.request(msg(REQUEST, 0, "do it"), { timeout: 10_000 });
    await inHandler.wait;
    expect(proxy.cut()).toBeGreaterThan(0);
    release.open(); // the reply is written while the connection is gone
    const answer = await reply;
    expect(read(answer)).toBe("answer 1");
    expect(handled).toBe(1);
    expect(resumed.length).toBeGreaterThanOrEqual(1);
    // The reply counts as delivered: a second cut does not bring it back.
    const resumes = resumed.length;
    expect(proxy.cut()).toBeGreaterThan(0);
    await until(() => resumed.length > resumes, "resumed after the second cut");
    // A sentinel: everything before it was delivered, and the reply was not delivered twice.
    client.send(msg(REQUEST, 0, "second"));
    await until(() => handled === 2, "second request handled");
    await until(() => ordinary.length === 1, "second answer delivered as an ordinary message");
    expect(ordinary).toEqual(["answer 2"]);
  }, 20_000);
});
