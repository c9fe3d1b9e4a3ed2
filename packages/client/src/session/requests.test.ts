import { restartablePort } from "@taurus/adapter-redis/testing";
import type { Connection } from "@taurus/core-conn";
import { startCutProxy } from "@taurus/core-conn/testing";
import { type BinaryMessage, createBinaryProtocol } from "@taurus/protocol-binary";
import { createServer } from "@taurus/server";
import { afterEach, describe, expect, it } from "vitest";
import { onCleanup, rejection, runCleanups, sessionClient, until } from "../fixtures/harness";

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

  it("a lost session rejects only the requests that may have reached it: one accepted offline is sent on the next session and answered", async () => {
    // The first server handles requests without answering, and acknowledges nothing.
    const atFirst: string[] = [];
    const first = createServer<BinaryMessage>({
      protocol: binary,
      sessions: { ackEvery: 1000, ackInterval: 60_000 },
      handler: { onMessage: (m) => void atFirst.push(read(m)) },
    });
    // Below the ephemeral range: an outgoing connection cannot take it while no server is there.
    const { port } = await first.listen(await restartablePort(), "127.0.0.1");
    onCleanup(() => first.close());
    const client = sessionClient(port, { maxRetryDelay: 20 });
    const lost: string[] = [];
    client.on("sessionLost", (info) => lost.push(info.reason));
    await client.connect();
    const unanswered = rejection(
      client.request(msg(REQUEST, 0, "on the first"), { timeout: 10_000 }),
    );
    await until(() => atFirst.length === 1, "the first request handled");
    await first.close(); // its in-memory sessions die with it
    await until(() => client.state !== "connected", "disconnected");
    // Accepted while no server is there: it never left the client.
    const offline = client.request(msg(REQUEST, 0, "while offline"), { timeout: 10_000 });
    const atSecond: string[] = [];
    const second = createServer<BinaryMessage>({
      protocol: binary,
      sessions: true,
      handler: {
        onMessage: (m, conn) => {
          atSecond.push(read(m));
          conn.send(msg(REPLY, m.sequence, `answer to ${read(m)}`));
        },
      },
    });
    await second.listen(port, "127.0.0.1");
    onCleanup(() => second.close());
    const error = await unanswered;
    expect(error.code).toBe("CONNECTION_CLOSED");
    expect(lost).toEqual(["unknown"]);
    const answer = await offline;
    expect(read(answer)).toBe("answer to while offline");
    expect(atSecond).toEqual(["while offline"]);
    expect(atFirst).toEqual(["on the first"]);
  }, 20_000);
});
