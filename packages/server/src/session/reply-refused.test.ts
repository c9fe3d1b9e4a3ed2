// A request's reply that the connection refuses (SEND_QUEUE_FULL) leaves no reply mark behind:
// the client never takes another frame for the reply, and the reply sent again is marked.
import type { Connection, ControlPayload } from "@taurus/core-conn";
import { until } from "@taurus/core-conn/testing";
import { type BinaryMessage, binaryControl } from "@taurus/protocol-binary";
import { describe, expect, it } from "vitest";
import { binary, connectRaw, msg, startServer } from "../test-helpers";

const wait = (what: string) => ({ what, timeout: 3000 });

/** A raw session peer: one log of control kinds (`c<kind>`, acks left out) and data sequences (`d<n>`). */
function peer(conn: Connection<BinaryMessage>) {
  const log: string[] = [];
  const payloads: ControlPayload[] = [];
  conn.attachSession({
    sent: () => undefined,
    sendAfterClose: () => false,
    control: (f) => {
      if (f.kind === 5) return;
      log.push(`c${f.kind}`);
      payloads.push(f.payload);
    },
  });
  conn.on("message", (m) => void log.push(`d${m.sequence}`));
  const say = (kind: number, payload: ControlPayload) =>
    conn.sendControl(binaryControl.encode(kind, payload));
  return { log, payloads, say };
}

/** Sends `message` on `conn`: the error code when refused. */
function attempt(conn: Connection<BinaryMessage>, message: BinaryMessage): string | undefined {
  try {
    conn.send(message);
    return undefined;
  } catch (err) {
    return (err as { code?: string }).code;
  }
}

/** Opens a session on a server with `onMessage`, sends request 42 and waits for its reply (`d42`). */
async function request(
  config: { sendQueueBytes?: number; sendQueueSize?: number },
  onMessage: (m: BinaryMessage, conn: Connection<BinaryMessage>) => Promise<void>,
) {
  const { port } = await startServer({
    ...config,
    sessions: { resumeWindow: 60_000 },
    handler: { onMessage },
  });
  const conn = await connectRaw(port);
  const p = peer(conn);
  p.say(3, { v: 1 });
  await until(() => p.log.includes("c4"), wait("welcome"));
  p.say(10, {}); // the next data frame is a request: client frame 1
  conn.send(msg(42, "question"));
  await until(() => p.log.includes("d42"), wait("the reply"));
  return p;
}

describe("a request's reply refused by the send queue", () => {
  it("too large for the queue: leaves no mark on the next frame; the reply sent again is marked", async () => {
    const errors: Array<string | undefined> = [];
    const p = await request({ sendQueueBytes: 256 }, async (m, conn) => {
      if (m.sequence !== 42) return;
      errors.push(attempt(conn, msg(42, "x".repeat(400)))); // the reply: larger than the queue
      conn.send(msg(77, "news")); // not the reply
      conn.send(msg(42, "ok")); // the reply, smaller
    });
    expect(errors).toEqual(["SEND_QUEUE_FULL"]);
    expect(p.log).toEqual(["c4", "d77", "c9", "d42"]);
    expect(p.payloads[1]).toEqual({ to: 1 });
  });

  it("a full queue: the reply sent once it drained is marked", async () => {
    const errors: Array<string | undefined> = [];
    const p = await request({ sendQueueSize: 4 }, async (m, conn) => {
      if (m.sequence !== 42) return;
      // Fill the queue (flushed at the end of this tick): the reply cannot join it.
      while (attempt(conn, msg(5)) === undefined);
      errors.push(attempt(conn, msg(42, "first")));
      await new Promise((resolve) => setTimeout(resolve, 10));
      conn.send(msg(42, "ok"));
    });
    expect(errors).toEqual(["SEND_QUEUE_FULL"]);
    expect(p.log.filter((e) => e !== "d5")).toEqual(["c4", "c9", "d42"]);
    expect(p.log.at(-2)).toBe("c9");
    expect(p.payloads[1]).toEqual({ to: 1 });
  });

  it("room for the reply but not for its mark: refused, and marked when sent again", async () => {
    const errors: Array<string | undefined> = [];
    const reply = binary.encode(msg(42)).length;
    const mark = binary.encode(binaryControl.encode(9, { to: 1 })).length;
    expect(mark).toBeGreaterThan(reply);
    const bound = 1024;
    const p = await request({ sendQueueBytes: bound }, async (m, conn) => {
      if (m.sequence !== 42) return;
      // Fill the queue so that the reply fits and its mark does not.
      const queued = conn.bufferedAmount - conn.socket.writableLength;
      const header = binary.encode(msg(5)).length;
      conn.send(msg(5, "x".repeat(bound - reply - queued - header)));
      errors.push(attempt(conn, msg(42)));
      await new Promise((resolve) => setTimeout(resolve, 10));
      conn.send(msg(42));
    });
    expect(errors).toEqual(["SEND_QUEUE_FULL"]);
    expect(p.log).toEqual(["c4", "d5", "c9", "d42"]);
    expect(p.payloads[1]).toEqual({ to: 1 });
  });
});
