// Sessions in the browser client when they cannot go on: a silent server, a server restarted
// with the in-memory store, a resume window passed, a full retransmit buffer, close(); each
// reported with its counts, never silently. And a session over the JSON protocol.
import { CONTROL_KIND, type Connection } from "@taurus/core-conn";
import type { BinaryMessage } from "@taurus/protocol-binary";
import { createJsonProtocol, type JsonMessage } from "@taurus/protocol-json";
import { createServer, type TaurusServer } from "@taurus/server";
import { attachWebSocket } from "@taurus/transport-ws";
import { describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { createWebClient } from "./client";
import type { WebSocketConstructor } from "./options";
import {
  BrowserLikeWebSocket,
  binary,
  msg,
  onCleanup,
  rawServer,
  client as startClient,
  startCutProxy,
  startEcho,
  until,
} from "./test-helpers";

const text = (m: BinaryMessage): string => Buffer.from(m.data).toString();
/** Sessions whose acknowledgements wait: counts stay visible in the reports. */
const slowAcks = { ackInterval: 60_000, ackEvery: 1000 };

/** The server's live connection of the latest session. */
function track<M>(server: TaurusServer<M>): { conn: Connection<M> | undefined } {
  const live: { conn: Connection<M> | undefined } = { conn: undefined };
  server.on("sessionStarted", (_info, conn) => {
    live.conn = conn;
  });
  server.on("sessionResumed", (_info, conn) => {
    live.conn = conn;
  });
  return live;
}

describe("WebClient sessions lost", () => {
  it("reports sessionLost with its counts when the server restarted with the in-memory store", async () => {
    const atFirst: string[] = [];
    const first = await startEcho(0, {
      sessions: slowAcks,
      handler: { onMessage: (m) => void atFirst.push(text(m)) },
    });
    const live = track(first.server);
    const c = startClient(first.url, { session: slowAcks });
    const got: string[] = [];
    c.on("message", (m) => got.push(text(m)));
    const lost: unknown[] = [];
    c.on("sessionLost", (info) => lost.push(info));
    const sessions: boolean[] = [];
    c.on("session", (info) => sessions.push(info.resumed));
    await c.connect();
    await until(() => live.conn !== undefined, { what: "the session" });
    for (const t of ["a", "b", "c"]) live.conn?.send(msg(1, t));
    c.send(msg(1, "x"));
    c.send(msg(1, "y"));
    const early = expect(c.request(msg(0, "early", 2), { timeout: 10_000 })).rejects.toMatchObject({
      code: "CONNECTION_CLOSED",
    }); // never answered
    await until(() => got.length === 3 && atFirst.length === 3, { what: "both ways" });
    await first.server.close();
    await until(() => c.state === "reconnecting", { what: "the client away" });
    c.send(msg(1, "while away"));
    const request = c.request(msg(0, "question", 2), { timeout: 10_000 });
    const atSecond: string[] = [];
    await startEcho(first.port, {
      sessions: true,
      handler: {
        onMessage(m, conn) {
          atSecond.push(text(m));
          if (m.type === 2) conn.send(msg(m.sequence, "answer", 3));
        },
      },
    });
    await until(() => lost.length === 1, { what: "sessionLost", timeout: 10_000 });
    // x, y and early reached the first server (processed, never acknowledged): given up, at
    // most once; the request that went with them fails.
    expect(lost[0]).toMatchObject({ reason: "unknown", received: 3, unacknowledged: 3 });
    await early;
    // What was sent while away never left the page: the new session carries it, the request too.
    expect(text(await request)).toBe("answer");
    expect(sessions).toEqual([false, false]);
    c.send(msg(1, "after"));
    await until(() => atSecond.length === 3, { what: "after" });
    expect(atSecond).toEqual(["while away", "question", "after"]);
    expect(atFirst).toEqual(["x", "y", "early"]);
  });

  it("reports sessionLost on both sides when the client comes back after the resume window", async () => {
    const atServer: string[] = [];
    const { server, port } = await startEcho(0, {
      sessions: { resumeWindow: 50, ...slowAcks },
      handler: { onMessage: (m) => void atServer.push(text(m)) },
    });
    const serverLost: unknown[] = [];
    server.on("sessionLost", (info) => serverLost.push(info));
    const live = track(server);
    const proxy = await startCutProxy(port);
    const c = startClient(proxy.url, { session: slowAcks });
    const got: string[] = [];
    c.on("message", (m) => got.push(text(m)));
    const lost: unknown[] = [];
    c.on("sessionLost", (info) => lost.push(info));
    await c.connect();
    await until(() => live.conn !== undefined, { what: "the session" });
    for (const t of ["a", "b", "c"]) live.conn?.send(msg(1, t));
    c.send(msg(1, "x"));
    c.send(msg(1, "y"));
    await until(() => got.length === 3 && atServer.length === 2, { what: "both ways" });
    proxy.hold(true);
    expect(proxy.cut()).toBe(1);
    await until(() => serverLost.length === 1, { what: "expired on the server" });
    expect(serverLost[0]).toMatchObject({ reason: "expired", unacknowledged: 3, received: 2 });
    c.send(msg(1, "while away"));
    proxy.hold(false);
    await until(() => lost.length === 1, { what: "sessionLost", timeout: 10_000 });
    expect(lost[0]).toMatchObject({ reason: "unknown", received: 3, unacknowledged: 2 });
    c.send(msg(1, "after"));
    await until(() => atServer.length === 4, { what: "after" });
    expect(atServer).toEqual(["x", "y", "while away", "after"]);
  });

  it("refuses a send past its retransmit buffer's bound (SEND_QUEUE_FULL) and keeps the session", async () => {
    const atServer: string[] = [];
    const { url } = await startEcho(0, {
      sessions: slowAcks,
      handler: { onMessage: (m) => void atServer.push(text(m)) },
    });
    const c = startClient(url, { session: { maxBufferedMessages: 3 } });
    const lost: unknown[] = [];
    c.on("sessionLost", (info) => lost.push(info));
    await c.connect();
    for (const t of ["1", "2", "3"]) c.send(msg(1, t));
    expect(() => c.send(msg(1, "4"))).toThrow(expect.objectContaining({ code: "SEND_QUEUE_FULL" }));
    await until(() => atServer.length === 3, { what: "three" });
    expect(atServer).toEqual(["1", "2", "3"]);
    expect(lost).toEqual([]);
  });

  it("a server at its session buffer's bound pushes back on its send(), the client keeps the session", async () => {
    const atServer: string[] = [];
    const { server, url } = await startEcho(0, {
      sessions: { maxBufferedMessages: 3, ...slowAcks },
      handler: { onMessage: (m) => void atServer.push(text(m)) },
    });
    const live = track(server);
    // The client acknowledges nothing yet: the server's buffer fills.
    const c = startClient(url, { session: slowAcks });
    const lost: unknown[] = [];
    c.on("sessionLost", (info) => lost.push(info));
    let got = 0;
    c.on("message", () => got++);
    await c.connect();
    await until(() => live.conn !== undefined, { what: "the session" });
    for (let i = 0; i < 3; i++) live.conn?.send(msg(1, `s${i}`));
    expect(() => live.conn?.send(msg(1, "s3"))).toThrow(
      expect.objectContaining({ code: "SEND_QUEUE_FULL" }),
    );
    c.send(msg(1, "after"));
    await until(() => atServer.length === 1 && got === 3, { what: "both ways" });
    expect(atServer).toEqual(["after"]);
    expect(lost).toEqual([]);
  });

  it("close() ends the session (sessionLost closed) and reports what it gave up", async () => {
    const atServer: string[] = [];
    const { url } = await startEcho(0, {
      sessions: slowAcks,
      handler: { onMessage: (m) => void atServer.push(text(m)) },
    });
    const c = startClient(url, { session: true });
    const lost: unknown[] = [];
    c.on("sessionLost", (info) => lost.push(info));
    await c.connect();
    c.send(msg(1, "x"));
    const request = c.request(msg(0, "unanswered", 2));
    await until(() => atServer.length === 2, { what: "both handled" });
    const report = await c.close();
    expect(report).toEqual({ discarded: 0, rejectedRequests: 1 });
    await expect(request).rejects.toMatchObject({ code: "CONNECTION_CLOSED" });
    expect(lost).toEqual([
      expect.objectContaining({ reason: "closed", unacknowledged: 2, received: 0 }),
    ]);
    expect(await c.close()).toBe(report);

    // Never connected: what waited is discarded and counted; no session to report.
    const away = startClient("ws://127.0.0.1:1/", { session: true });
    away.on("sessionLost", (info) => lost.push(info));
    away.send(msg(1, "a"));
    away.send(msg(1, "b"));
    expect(await away.close()).toEqual({ discarded: 2, rejectedRequests: 0 });
    expect(lost).toHaveLength(1);
  });

  it("refuses to buffer past the session's bound before the session is granted", () => {
    const c = startClient("ws://127.0.0.1:1/", { session: { maxBufferedMessages: 2 } });
    c.send(msg(1));
    c.send(msg(2));
    expect(() => c.send(msg(3))).toThrow(expect.objectContaining({ code: "SEND_QUEUE_FULL" }));
    expect(c.queued).toBe(2);
  });

  it("checks the session option", () => {
    const noControl = { ...binary, control: undefined };
    for (const session of [{ ackEvery: 0 }, { helloTimeout: 1.5 }, "yes"]) {
      expect(() => startClient("ws://x/", { session: session as never })).toThrow(
        expect.objectContaining({ code: "INVALID_OPTION" }),
      );
    }
    expect(() => startClient("ws://x/", { session: true, protocol: noControl })).toThrow(
      expect.objectContaining({ code: "INVALID_OPTION", option: "session" }),
    );
  });
});

const HELLO = `control ${CONTROL_KIND.hello}`;

/** The binary welcome of session "sss...", having processed `received` frames. */
function welcome(received: number, resumed: boolean): Uint8Array {
  const control = binary.control as NonNullable<typeof binary.control>;
  return binary.encode(
    control.encode(CONTROL_KIND.welcome, { id: "s".repeat(22), received, resumed }),
  );
}

/**
 * A session server in a few lines: it writes down each connection's frames ("control
 * <kind>", "data <type>"), and answers each hello with what `answer` gives for that
 * connection's number (from 1), or nothing.
 */
async function sessionServer(answer: (connection: number) => Uint8Array | undefined) {
  const seen: string[][] = [];
  const sockets: WebSocket[] = [];
  const { url } = await rawServer((ws) => {
    const mine: string[] = [];
    seen.push(mine);
    sockets.push(ws);
    const n = seen.length;
    ws.on("message", (d) => {
      const f = d as Buffer;
      const kind = f.readUInt32BE(7);
      const isControl = f.readUInt32BE(3) === 0xffffffff;
      mine.push(`${isControl ? "control" : "data"} ${kind}`);
      const reply = isControl && kind === CONTROL_KIND.hello ? answer(n) : undefined;
      if (reply !== undefined) ws.send(reply);
    });
  });
  return { url, seen, sockets };
}

describe("WebClient session hello", () => {
  it("carries on without a session when the server says nothing: one hello, then the data", async () => {
    const frames: Buffer[] = [];
    const { url } = await rawServer((ws) => ws.on("message", (d) => frames.push(d as Buffer)));
    const c = startClient(url, { session: { helloTimeout: 100 }, heartbeatInterval: 0 });
    const why: string[] = [];
    c.on("sessionUnavailable", (reason) => why.push(reason));
    c.send(msg(9, "data"));
    // A request waiting for the session: its flag must not reach a server without sessions.
    const request = c.request(msg(0, "question"), { timeout: 300 }).catch(() => undefined);
    await c.connect();
    expect(why).toEqual(["silent"]);
    await request;
    await until(() => frames.length >= 3, { what: "hello and data" });
    const [hello, data, question] = frames as [Buffer, Buffer, Buffer];
    expect(hello.readUInt32BE(3)).toBe(0xffffffff); // the control type
    expect(hello.readUInt32BE(7)).toBe(3); // hello
    const payload = JSON.parse(
      hello.subarray(15, 15 + hello.readUInt32BE(11)).toString(),
    ) as Record<string, unknown>;
    expect(payload).toMatchObject({ v: 1, received: 0, fresh: true });
    expect(payload.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect([data.readUInt32BE(3), data.readUInt32BE(7)]).toEqual([1, 9]);
    expect([question.readUInt32BE(3), question.readUInt32BE(7)]).toEqual([1, 1]);
    expect(frames).toHaveLength(3);
  });

  it("flags each request (and only requests) on a session, also when it is sent again", async () => {
    // The first connection processes nothing; the second says it processed frame 1.
    const { url, seen, sockets } = await sessionServer((n) => welcome(n === 1 ? 0 : 1, n > 1));
    const c = startClient(url, { session: true, heartbeatInterval: 0 });
    await c.connect();
    c.send(msg(5));
    void c.request(msg(0), { timeout: 10_000 }).catch(() => undefined);
    await until(() => seen[0]?.length === 4, { what: "the first connection's frames" });
    sockets[0]?.terminate();
    await until(() => seen[1]?.length === 3, { what: "the second connection's frames" });
    const flag = `control ${CONTROL_KIND.request}`;
    expect(seen[0]).toEqual([HELLO, "data 5", flag, "data 1"]);
    // Frame 1 (data 5) was processed: only the request goes again, flagged.
    expect(seen[1]).toEqual([HELLO, flag, "data 1"]);
  });

  it("asks a held session's hello again on new WebSockets while the server is slow to answer, then resumes", async () => {
    // The first connection grants the session; the next two never answer (a restart under
    // load); the fourth resumes it, having processed the one data frame.
    const { url, seen, sockets } = await sessionServer((n) =>
      n === 1 ? welcome(0, false) : n === 4 ? welcome(1, true) : undefined,
    );
    const c = startClient(url, {
      session: { helloTimeout: 100 },
      heartbeatInterval: 0,
      retryDelay: 10,
      maxRetryDelay: 20,
    });
    const events: string[] = [];
    c.on("session", (info) => events.push(info.resumed ? "resumed" : "new"));
    c.on("sessionUnavailable", (reason) => events.push(`unavailable:${reason}`));
    c.on("sessionLost", (info) => events.push(`lost:${info.reason}`));
    await c.connect();
    c.send(msg(5));
    await until(() => seen[0]?.length === 2, { what: "the first connection's frames" });
    sockets[0]?.terminate();
    await until(() => events.length === 2, { what: "the resume", timeout: 5000 });
    expect(events).toEqual(["new", "resumed"]);
    expect(seen).toEqual([[HELLO, "data 5"], [HELLO], [HELLO], [HELLO]]);
  });

  it("closes the WebSocket (with a code a browser accepts) on an acknowledgement of more than it sent", async () => {
    const control = binary.control as NonNullable<typeof binary.control>;
    const frame = (kind: number, payload: Record<string, string | number | boolean>) =>
      binary.encode(control.encode(kind, payload));
    const { url, closeCodes } = await rawServer((ws) =>
      ws.once("message", () => {
        ws.send(frame(CONTROL_KIND.welcome, { id: "s".repeat(22), received: 0, resumed: false }));
        ws.send(frame(CONTROL_KIND.ack, { received: 5 }));
      }),
    );
    const c = startClient(url, {
      session: true,
      WebSocket: BrowserLikeWebSocket as unknown as WebSocketConstructor,
    });
    const sessions: string[] = [];
    c.on("session", (info) => sessions.push(info.id));
    await c.connect();
    await until(() => closeCodes.length >= 1, { what: "the close" });
    expect(closeCodes[0]).toBe(4002);
    expect(sessions[0]).toBe("s".repeat(22));
  });

  it("works over the JSON protocol: resumes after a destroyed connection, a request answered once", async () => {
    const json = createJsonProtocol();
    const atServer: string[] = [];
    const server = createServer<JsonMessage>({
      protocol: json,
      sessions: true,
      rateLimit: Number.POSITIVE_INFINITY,
      shutdownTimeout: 1000,
      handler: {
        onMessage(m, conn) {
          atServer.push(String(m.data?.text));
          if (m.type === 2) conn.send({ ...m, type: 3, data: { text: "answer" } });
        },
      },
    });
    const transport = attachWebSocket(server);
    const { port } = await transport.listen(0, "127.0.0.1");
    onCleanup(() => server.close());
    const live = track(server);
    const line = (t: string, type = 1): JsonMessage => ({
      type,
      sequence: 1,
      data: { text: t },
      timestamp: 0n,
    });
    const c = createWebClient<JsonMessage>({
      url: `ws://127.0.0.1:${port}/`,
      protocol: json,
      WebSocket: WebSocket as unknown as WebSocketConstructor,
      session: true,
      retryDelay: 20,
      maxRetryDelay: 200,
    });
    onCleanup(() => c.close());
    const got: string[] = [];
    c.on("message", (m) => got.push(String(m.data?.text)));
    const resumed: number[] = [];
    c.on("session", (info) => info.resumed && resumed.push(info.replayed));
    await c.connect();
    await until(() => live.conn !== undefined, { what: "the session" });
    const first = live.conn as Connection<JsonMessage>;
    first.socket.destroy(new Error("cut"));
    first.send(line("while away"));
    c.send(line("from the page"));
    const reply = await c.request(line("question", 2), { timeout: 10_000 });
    expect(reply.data).toEqual({ text: "answer" });
    await until(() => got.length === 1, { what: "the server's line" });
    expect(got).toEqual(["while away"]);
    expect(atServer).toEqual(["from the page", "question"]);
    // Sent again on the new connection: at least the line sent after the cut.
    expect(resumed).toHaveLength(1);
    expect(resumed[0]).toBeGreaterThanOrEqual(1);
  });
});
