// A session whose client is away (its connection cut, not yet resumed) keeps its rooms, and
// what is broadcast meanwhile waits in the session: the client gets it once, on resume.
import type { Connection } from "@taurus/core-conn";
import { until } from "@taurus/core-conn/testing";
import type { BinaryMessage } from "@taurus/protocol-binary";
import { describe, expect, it } from "vitest";
import { binary, connectRaw, msg, sessionPeer, startServer } from "../test-helpers";

const ID = "B".repeat(22);
const wait = (what: string) => ({ what, timeout: 3000 });

/** A server where message 1 joins "lobby"; it records onClose's awaitingResume. */
async function roomServer(resumeWindow: number) {
  const awaiting: Array<string | undefined> = [];
  const resumed: Array<{ conn: Connection<BinaryMessage>; previous?: Connection<BinaryMessage> }> =
    [];
  const lost: string[] = [];
  const { port, server } = await startServer({
    sessions: { resumeWindow },
    perAddress: false,
    handler: {
      onMessage(m, conn) {
        if (m.sequence === 1) server.rooms.join(conn, "lobby");
      },
      onClose(_error, conn) {
        awaiting.push(server.awaitingResume(conn));
      },
    },
  });
  server.on("sessionResumed", (_info, conn, previous) => resumed.push({ conn, previous }));
  server.on("sessionLost", (info) => lost.push(info.id));
  return { port, server, awaiting, resumed, lost };
}

describe("sessions whose client is away", () => {
  it("keep their rooms and get what was broadcast meanwhile, once, on resume", async () => {
    const { port, server, awaiting, resumed } = await roomServer(60_000);
    // A session user on 127.0.0.2 and a plain user on 127.0.0.3, both in the lobby.
    const a = sessionPeer(await connectRaw(port, "127.0.0.2"));
    a.say(3, { v: 1, id: ID, fresh: true });
    await until(() => a.controls.length === 1, wait("welcome"));
    a.conn.send(msg(1));
    const b = sessionPeer(await connectRaw(port, "127.0.0.3"), { session: false });
    b.conn.send(msg(1));
    await until(() => server.rooms.members("lobby").length === 2, wait("two members"));
    const before = server.rooms.members("lobby").find((c) => c.remoteAddress === "127.0.0.2");

    a.conn.socket.destroy();
    await until(() => awaiting.length === 1, wait("onClose"));
    expect(awaiting).toEqual([ID]);
    // Away: still a member; a broadcast and a room broadcast count it and wait for it.
    expect(server.rooms.members("lobby")).toContain(before);
    expect(server.broadcast(msg(9), { except: before })).toEqual({ sent: 1, failed: 0 });
    expect(server.broadcast(msg(10))).toEqual({ sent: 2, failed: 0 });
    expect(server.rooms.broadcast("lobby", msg(11))).toMatchObject({ sent: 2, failed: 0 });

    const again = sessionPeer(await connectRaw(port, "127.0.0.2"));
    again.say(3, { v: 1, id: ID, received: 0 });
    await until(() => again.data.length === 2, wait("the replay"));
    expect(again.controls[0]).toMatchObject({ kind: 4, payload: { resumed: true } });
    expect(resumed).toHaveLength(1);
    expect(resumed[0]?.previous).toBe(before);
    // The new connection took the old one's place in the room: one copy each from now on.
    expect(server.rooms.members("lobby")).toHaveLength(2);
    expect(server.rooms.members("lobby")).toContain(resumed[0]?.conn);
    server.rooms.broadcast("lobby", msg(12));
    server.broadcast(msg(13));
    await until(() => again.data.length === 4 && b.data.length === 5, wait("12 and 13"));
    expect(again.data).toEqual([10, 11, 12, 13]);
    expect(b.data).toEqual([9, 10, 11, 12, 13]);
    // An open connection is not awaiting anything.
    expect(server.awaitingResume(resumed[0]?.conn as Connection<BinaryMessage>)).toBeUndefined();
    const old = before as Connection<BinaryMessage>;
    expect(server.awaitingResume(old)).toBeUndefined();
    // What the application still sends to the old connection reaches the new one.
    expect(old.send(msg(14))).toBe(true);
    expect(old.sendEncoded(new Uint8Array(old.protocol.encode(msg(15))))).toBe(true);
    await until(() => again.data.length === 6, wait("14 and 15 through the old connection"));
    expect(again.data).toEqual([10, 11, 12, 13, 14, 15]);
  });

  it("lose a session whose buffer overflows with broadcasts, which then leaves its rooms", async () => {
    const lost: Array<{ id: string; reason: string }> = [];
    const { port, server } = await startServer({
      sessions: { resumeWindow: 60_000, maxBufferedMessages: 2 },
      perAddress: false,
      handler: {
        onMessage(_message, conn) {
          server.rooms.join(conn, "lobby");
        },
      },
    });
    server.on("sessionLost", (info) => lost.push(info));
    const a = sessionPeer(await connectRaw(port, "127.0.0.2"));
    a.say(3, { v: 1, id: ID, fresh: true });
    await until(() => a.controls.length === 1, wait("welcome"));
    a.conn.send(msg(1));
    await until(() => server.rooms.members("lobby").length === 1, wait("a member"));
    a.say(5, { received: 0 });
    a.conn.socket.destroy();
    await until(() => server.rooms.members("lobby")[0]?.state === "closed", wait("closed"));
    for (let i = 0; i < 3; i++) server.rooms.broadcast("lobby", msg(20 + i));
    expect(lost).toMatchObject([{ id: ID, reason: "overflow" }]);
    expect(server.rooms.members("lobby")).toEqual([]);
  });

  it("leave their rooms when the session is lost", async () => {
    const { port, server, awaiting, lost } = await roomServer(100);
    const a = sessionPeer(await connectRaw(port, "127.0.0.2"));
    a.say(3, { v: 1, id: ID, fresh: true });
    await until(() => a.controls.length === 1, wait("welcome"));
    a.conn.send(msg(1));
    await until(() => server.rooms.members("lobby").length === 1, wait("a member"));
    a.conn.socket.destroy();
    await until(() => awaiting.length === 1, wait("onClose"));
    expect(awaiting).toEqual([ID]);
    await until(() => lost.length === 1, wait("the session expired"));
    expect(lost).toEqual([ID]);
    expect(server.rooms.members("lobby")).toEqual([]);
    expect(server.broadcast(msg(10))).toEqual({ sent: 0, failed: 0 });
  });

  it("are nothing special without sessions: a closed connection leaves its rooms at once", async () => {
    const { port, server } = await startServer({
      handler: {
        onMessage(_message, conn) {
          server.rooms.join(conn, "lobby");
        },
        onClose(_error, conn) {
          expect(server.awaitingResume(conn)).toBeUndefined();
        },
      },
    });
    const a = sessionPeer(await connectRaw(port), { session: false });
    a.conn.send(msg(1));
    await until(() => server.rooms.members("lobby").length === 1, wait("a member"));
    a.conn.socket.destroy();
    await until(() => server.rooms.members("lobby").length === 0, wait("left"));
    expect(server.broadcast(msg(10))).toEqual({ sent: 0, failed: 0 });
  });
});

describe("a fan-out that a connected session's full buffer refuses", () => {
  it("ends that session as lost and tells its client (a broadcast or a room's), never a silent gap", async () => {
    const lost: Array<{ id: string; reason: string }> = [];
    const conns: Connection<BinaryMessage>[] = [];
    const { port, server } = await startServer({
      sessions: { maxBufferedMessages: 3 },
      perAddress: false,
    });
    server.on("sessionLost", (info) => void lost.push(info));
    server.on("sessionStarted", (_i, c) => void conns.push(c));
    // Neither peer acknowledges: three unacknowledged frames fill each session's buffer.
    const a = sessionPeer(await connectRaw(port, "127.0.0.2"));
    a.say(3, { v: 1 });
    await until(() => conns.length === 1, wait("a's session"));
    const b = sessionPeer(await connectRaw(port, "127.0.0.3"));
    b.say(3, { v: 1 });
    await until(() => conns.length === 2, wait("b's session"));
    server.rooms.join(conns[1] as Connection<BinaryMessage>, "lobby");
    // A frame too large for every receiver is refused by each (MESSAGE_TOO_LARGE), but
    // ends no session: only a full queue or buffer is the session's own.
    const tooLarge = new Uint8Array(binary.maxMessageSize + 1);
    expect(server.broadcastEncoded(tooLarge)).toEqual({ sent: 0, failed: 2 });
    expect(lost).toEqual([]);
    for (let i = 1; i <= 3; i++) server.broadcast(msg(i));
    expect(server.broadcast(msg(4))).toEqual({ sent: 0, failed: 2 });
    expect(lost.map((l) => l.reason)).toEqual(["overflow", "overflow"]);
    await until(() => a.controls.some((f) => f.kind === 8), wait("a told"));
    await until(() => b.controls.some((f) => f.kind === 8), wait("b told"));
    expect(a.data).toEqual([1, 2, 3]);
    // A room's fan-out does the same.
    const c = sessionPeer(await connectRaw(port, "127.0.0.4"));
    c.say(3, { v: 1 });
    await until(() => conns.length === 3, wait("c's session"));
    const cc = conns[2] as Connection<BinaryMessage>;
    server.rooms.join(cc, "lobby");
    for (let i = 1; i <= 3; i++) server.rooms.broadcast("lobby", msg(i));
    expect(server.rooms.broadcast("lobby", msg(4))).toMatchObject({ sent: 0, failed: 1 });
    expect(lost).toHaveLength(3);
    await until(() => c.controls.some((f) => f.kind === 8), wait("c told"));
  });
});

/**
 * A session client whose connection is cut, `n` frames sent to it while away (kept by the
 * session), then a new connection resuming it from 0. `started` reads the session's
 * connection (set by the test's `sessionStarted` listener).
 */
async function awayThenBack(
  port: number,
  started: () => Connection<BinaryMessage> | undefined,
  n: number,
) {
  const a = sessionPeer(await connectRaw(port));
  a.say(3, { v: 1, id: ID, fresh: true });
  await until(() => started() !== undefined, wait("session"));
  const first = started() as Connection<BinaryMessage>;
  a.conn.socket.destroy();
  await until(() => first.state === "closed", wait("closed"));
  for (let i = 1; i <= n; i++) first.send(msg(i)); // kept by the session
  const again = sessionPeer(await connectRaw(port));
  again.say(3, { v: 1, id: ID, received: 0 });
  return again;
}

describe("a resume with more to replay than the send queue holds", () => {
  it("replays it all in order as the queue drains, then what was sent meanwhile", async () => {
    let current: Connection<BinaryMessage> | undefined;
    const { port, server } = await startServer({
      sessions: { resumeWindow: 60_000, maxBufferedMessages: 10_000 },
      sendQueueSize: 8,
      perAddress: false,
    });
    server.on("sessionStarted", (_i, c) => {
      current = c;
    });
    server.on("sessionResumed", (_i, c) => {
      current = c;
      // Sent while the replay is still going out: after it.
      c.send(msg(5000));
    });
    const again = await awayThenBack(port, () => current, 500);
    await until(() => again.data.length === 501, wait("the replay and message 5000"));
    expect(again.data).toEqual([...Array.from({ length: 500 }, (_, i) => i + 1), 5000]);
  });

  it("keeps a send made while it catches up behind the replay, and pushes back past the buffer's bound", async () => {
    let current: Connection<BinaryMessage> | undefined;
    const refused: unknown[] = [];
    const { port, server } = await startServer({
      sessions: { resumeWindow: 60_000, maxBufferedMessages: 101 },
      sendQueueSize: 8,
      perAddress: false,
    });
    server.on("sessionStarted", (_i, c) => {
      current = c;
    });
    server.on("sessionResumed", (_i, c) => {
      current = c;
      // The replay fills the send queue: at its first drain the pump is still catching up.
      c.once("drain", () => {
        c.send(msg(6000)); // the 101st unacknowledged frame: kept, written after the replay
        try {
          c.send(msg(6001));
        } catch (err) {
          refused.push((err as { code?: string }).code);
        }
      });
    });
    const again = await awayThenBack(port, () => current, 100);
    await until(() => again.data.length === 101, wait("the replay, then 6000"));
    expect(again.data).toEqual([...Array.from({ length: 100 }, (_, i) => i + 1), 6000]);
    expect(refused).toEqual(["SEND_QUEUE_FULL"]);
  });

  it("pushes back on a send made while the resume is answered with a full buffer, and the replay goes on", async () => {
    let current: Connection<BinaryMessage> | undefined;
    const refused: unknown[] = [];
    const lost: unknown[] = [];
    const { port, server } = await startServer({
      sessions: { resumeWindow: 60_000, maxBufferedMessages: 100 },
      sendQueueSize: 8,
      perAddress: false,
    });
    server.on("sessionLost", (info) => void lost.push(info));
    server.on("sessionStarted", (_i, c) => {
      current = c;
    });
    server.on("sessionResumed", (_i, c) => {
      current = c;
      try {
        c.send(msg(5000)); // the buffer holds 100 unacknowledged: refused, not a lost session
      } catch (err) {
        refused.push((err as { code?: string }).code);
      }
    });
    const again = await awayThenBack(port, () => current, 100);
    await until(() => again.data.length === 100, wait("the replay"));
    expect(refused).toEqual(["SEND_QUEUE_FULL"]);
    expect(again.data).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(lost).toEqual([]);
  });
});
