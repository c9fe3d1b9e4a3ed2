// Sessions in the browser client, against a real Taurus server over WebSocket (ws stands in
// for the browser's): exactly once and in order across cut WebSockets, requests answered once,
// and a server without sessions (lost sessions: session-lost.test.ts).
import type { Connection } from "@taurus/core-conn";
import type { BinaryMessage } from "@taurus/protocol-binary";
import type { TaurusServer } from "@taurus/server";
import { describe, expect, it } from "vitest";
import { gate, msg, client as startClient, startCutProxy, startEcho, until } from "./test-helpers";

const text = (m: BinaryMessage): string => Buffer.from(m.data).toString();

/** The server's live connection of the (one) session, as it starts and resumes. */
function track(server: TaurusServer<BinaryMessage>): {
  conn: Connection<BinaryMessage> | undefined;
} {
  const live: { conn: Connection<BinaryMessage> | undefined } = { conn: undefined };
  server.on("sessionStarted", (_info, conn) => {
    live.conn = conn;
  });
  server.on("sessionResumed", (_info, conn) => {
    live.conn = conn;
  });
  return live;
}

describe("WebClient sessions across cut WebSockets", () => {
  it("deliver every message exactly once and in order, both ways, through repeated proxy cuts", async () => {
    const N = 2000;
    const atServer: number[] = [];
    const { server, port } = await startEcho(0, {
      // The loop sends on while disconnected: the buffers hold the whole run.
      sessions: { maxBufferedMessages: 2 * N },
      perAddress: false,
      handler: { onMessage: (m) => void atServer.push(m.sequence) },
    });
    const live = track(server);
    let replayedByServer = 0;
    server.on("sessionResumed", (info) => {
      replayedByServer += info.replayed;
    });
    const proxy = await startCutProxy(port);
    const atClient: number[] = [];
    const lost: unknown[] = [];
    const resumes: number[] = [];
    const c = startClient(proxy.url, {
      session: { maxBufferedMessages: 2 * N },
      offlineQueueSize: 2 * N,
      // Down 15-30 ms per cut: the loop sends on meanwhile, both ways.
      retryDelay: 30,
      maxRetryDelay: 60,
    });
    c.on("message", (m) => atClient.push(m.sequence));
    c.on("sessionLost", (info) => lost.push(info));
    let started = 0;
    c.on("session", (info) => (info.resumed ? resumes.push(info.replayed) : started++));
    await c.connect();
    await until(() => live.conn !== undefined, { what: "the session" });
    let sentByServer = 0;
    let sentByClient = 0;
    let cuts = 0;
    let sinceCut = 0;
    // Cut the WebSocket whenever it is up (and has carried something), 15 times or more.
    while (sentByServer < N || sentByClient < N || cuts < 15) {
      for (let i = 0; i < 50 && sentByClient < N; i++) c.send(msg(sentByClient++));
      for (let i = 0; i < 50 && sentByServer < N; i++) live.conn?.send(msg(sentByServer++));
      if (c.state === "open" && ++sinceCut >= 2 && cuts < 30) {
        cuts += proxy.cut() > 0 ? 1 : 0;
        sinceCut = 0;
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await until(() => atServer.length >= N && atClient.length >= N, {
      what: "all delivered",
      timeout: 20_000,
    });
    // Every cut of the session held is followed by a resume, none by a new session.
    await until(() => resumes.length >= cuts, { what: "the last resume", timeout: 10_000 });
    expect(started).toBe(1);
    // Each side sent again what the other had not processed.
    expect(resumes.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(replayedByServer).toBeGreaterThan(0);
    const expected = Array.from({ length: N }, (_, i) => i);
    expect(lost).toEqual([]);
    expect(atServer).toEqual(expected);
    expect(atClient).toEqual(expected);
  }, 30_000);

  it("resumes after the server destroys the connection, replaying what the cut took", async () => {
    const atServer: string[] = [];
    const { server, url } = await startEcho(0, {
      sessions: true,
      handler: { onMessage: (m) => void atServer.push(text(m)) },
    });
    const live = track(server);
    const c = startClient(url, { session: { ackInterval: 60_000, ackEvery: 1000 } });
    const atClient: string[] = [];
    c.on("message", (m) => atClient.push(text(m)));
    const opens: boolean[] = [];
    c.on("open", (resumed) => opens.push(resumed));
    const sessions: Array<{ resumed: boolean; replayed: number }> = [];
    c.on("session", (info) => sessions.push(info));
    await c.connect();
    await until(() => live.conn !== undefined, { what: "the session" });
    const first = live.conn as Connection<BinaryMessage>;
    for (const t of ["a", "b", "c"]) first.send(msg(1, t));
    await until(() => atClient.length === 3, { what: "three delivered" });
    // The server's acknowledgements wait (ackInterval): the client keeps what it sent.
    c.send(msg(1, "x"));
    c.send(msg(1, "y"));
    await until(() => atServer.length === 2, { what: "x and y handled" });
    first.socket.destroy(new Error("cut")); // no close frame: the TCP socket is gone
    first.send(msg(1, "d")); // taken by the session while the client is away
    c.send(msg(1, "z"));
    await until(() => atClient.length === 4 && atServer.length === 3, {
      what: "d and z",
      timeout: 10_000,
    });
    expect(atClient).toEqual(["a", "b", "c", "d"]);
    expect(atServer).toEqual(["x", "y", "z"]);
    expect(opens).toEqual([false, true]);
    expect(sessions.map((s) => s.resumed)).toEqual([false, true]);
    expect(live.conn).not.toBe(first);
  });
});

describe("WebClient requests within a session", () => {
  const REQUEST = 2;
  const REPLY = 3;

  it("a request cut mid-handler is handled once and answered once; a colliding sequence never settles it", async () => {
    const inHandler = gate();
    const release = gate();
    let handled = 0;
    const { server, url } = await startEcho(0, {
      sessions: true,
      handler: {
        async onMessage(m, conn) {
          if (m.type !== REQUEST) return;
          handled++;
          inHandler.open();
          await release.wait;
          conn.send(msg(m.sequence, `answer ${handled}`, REPLY));
        },
      },
    });
    const live = track(server);
    const c = startClient(url, { session: true });
    const ordinary: string[] = [];
    c.on("message", (m) => ordinary.push(text(m)));
    const resumed: number[] = [];
    c.on("session", (info) => info.resumed && resumed.push(info.replayed));
    await c.connect();
    const reply = c.request(msg(0, "do it", REQUEST), { timeout: 10_000 });
    await inHandler.wait;
    // Another line with the request's sequence (1), sent outside its handler: not the reply.
    live.conn?.send(msg(1, "hello everyone"));
    await until(() => ordinary.length === 1, { what: "the line" });
    (live.conn as Connection<BinaryMessage>).socket.destroy(new Error("cut"));
    release.open(); // the reply is written while the connection is gone
    const answer = await reply;
    expect(text(answer)).toBe("answer 1");
    expect(answer.type).toBe(REPLY);
    expect(handled).toBe(1);
    expect(resumed.length).toBeGreaterThanOrEqual(1);
    // The reply counts as delivered: a second cut does not bring it back.
    const resumes = resumed.length;
    (live.conn as Connection<BinaryMessage>).socket.destroy(new Error("cut"));
    await until(() => resumed.length > resumes, { what: "resumed after the second cut" });
    // A sentinel: the second request's answer, sent as an ordinary message (no request waits).
    c.send(msg(0, "second", REQUEST));
    await until(() => handled === 2 && ordinary.length === 2, { what: "second answer" });
    expect(ordinary).toEqual(["hello everyone", "answer 2"]);
  }, 20_000);
});

describe("WebClient without a session", () => {
  it("carries on after the server refuses (a Taurus server without sessions)", async () => {
    const { url } = await startEcho();
    const c = startClient(url, { session: true });
    const why: string[] = [];
    c.on("sessionUnavailable", (reason) => why.push(reason));
    const got: string[] = [];
    c.on("message", (m) => got.push(text(m)));
    c.send(msg(7, "queued"));
    await c.connect();
    expect(why).toEqual(["refused"]);
    expect(await c.request(msg(0, "question")).then(text)).toBe("question");
    await until(() => got.length === 1);
    expect(got).toEqual(["queued"]);
  });
});
