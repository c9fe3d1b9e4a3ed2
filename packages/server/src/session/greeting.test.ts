// With sessions on, the server's answer to a hello is the first frame a client
// reads: what onConnect (or a broadcast) sent waits for it, and is counted in
// the session. Clients that do not send a hello get it as before.
import type { Connection, ControlFrame, ControlPayload } from "@taurus/core-conn";
import { until } from "@taurus/core-conn/testing";
import { type BinaryMessage, binaryControl } from "@taurus/protocol-binary";
import { describe, expect, it } from "vitest";
import { connectRaw, msg, startServer } from "../test-helpers";

/** A raw peer that logs every frame it reads, control or data, in order. */
function logged(conn: Connection<BinaryMessage>) {
  const log: string[] = [];
  const controls: ControlFrame[] = [];
  conn.attachSession({
    sent: () => undefined,
    sendAfterClose: () => false,
    control: (f) => {
      controls.push(f);
      log.push(`control:${f.kind}`);
    },
  });
  conn.on("message", (m) => log.push(`data:${m.sequence}`));
  const say = (kind: number, payload: ControlPayload) =>
    conn.sendControl(binaryControl.encode(kind, payload));
  return { conn, log, controls, say };
}

/** A server whose onConnect sends message 100 at once; `connected` counts its calls. */
async function greetingServer(helloWait: number) {
  const state = { connected: 0 };
  const { port, server } = await startServer({
    sessions: { helloWait, resumeWindow: 60_000 },
    handler: {
      onConnect(conn) {
        state.connected++;
        conn.send(msg(100));
      },
    },
  });
  return { port, server, state };
}

describe("session greeting", () => {
  it("answers a hello before anything onConnect sent, and counts what it sent in the session", async () => {
    const { port, state } = await greetingServer(60_000);
    const first = logged(await connectRaw(port));
    await until(() => state.connected === 1, { what: "onConnect ran", timeout: 2000 });
    // onConnect sent before the hello arrived: nothing may reach the client yet.
    first.say(3, { v: 1, id: "A".repeat(22), fresh: true });
    await until(() => first.log.length === 2, {
      what: "welcome and message 100",
      timeout: 2000,
    }).catch((e) => {
      throw new Error(`${e} ${JSON.stringify(first.log)}`);
    });
    expect(first.log).toEqual(["control:4", "data:100"]);
    // Message 100 is part of the session: unacknowledged, it is replayed on resume.
    first.conn.socket.destroy();
    const second = logged(await connectRaw(port));
    await until(() => state.connected === 2, { what: "onConnect ran again", timeout: 2000 });
    second.say(3, { v: 1, id: "A".repeat(22), received: 0 });
    await until(() => second.log.length === 3, {
      what: "welcome, replay, new message",
      timeout: 2000,
    }).catch((e) => {
      throw new Error(`${e} ${JSON.stringify(first.log)} ${JSON.stringify(second.log)}`);
    });
    expect(second.log).toEqual(["control:4", "data:100", "data:100"]);
    expect(second.controls[0]?.payload).toMatchObject({ resumed: true });
  });

  it("holds no more than the session's buffer before the hello: the next send is refused", async () => {
    const refused: string[] = [];
    const { port } = await startServer({
      sessions: { helloWait: 60_000, maxBufferedMessages: 2 },
      handler: {
        onConnect(conn) {
          for (let i = 1; i <= 3; i++) {
            try {
              conn.send(msg(100 + i));
            } catch (err) {
              refused.push((err as { code?: string }).code ?? String(err));
            }
          }
        },
      },
    });
    const client = logged(await connectRaw(port));
    await until(() => refused.length === 1, { what: "the third send refused", timeout: 2000 });
    expect(refused).toEqual(["SEND_QUEUE_FULL"]);
    client.say(3, { v: 1, id: "C".repeat(22), fresh: true });
    await until(() => client.log.length === 3, { what: "welcome and two", timeout: 2000 });
    expect(client.log).toEqual(["control:4", "data:101", "data:102"]);
  });

  it("sends at once to a client whose first frame is data (no hello, as a Go client)", async () => {
    const { port } = await greetingServer(60_000);
    const peer = logged(await connectRaw(port, "127.0.0.2"));
    peer.conn.send(msg(1));
    await until(() => peer.log.length === 1, {
      what: "message 100 long before the 60 s wait",
      timeout: 2000,
    });
    expect(peer.log).toEqual(["data:100"]);
  });

  it("sends to a client that stays silent once the wait is over", async () => {
    const { port } = await greetingServer(50);
    const peer = logged(await connectRaw(port, "127.0.0.3"));
    await until(() => peer.log.length === 1, { what: "message 100 after the wait", timeout: 2000 });
    expect(peer.log).toEqual(["data:100"]);
  });
});
