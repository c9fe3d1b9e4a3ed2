// The end-of-tick flush pass writes out every scheduled queue even when one
// connection's `drain` listener throws; the error still reaches the process.
import { afterEach, describe, expect, it } from "vitest";
import { Connection } from "./connection";
import { createTinyProtocol } from "./fixtures/tiny-protocol";
import { catchingUncaught } from "./test-uncaught";
import { createSocketPair } from "./testing/socket-pair";

const cleanup: Array<() => void> = [];
afterEach(() => {
  for (const fn of cleanup.splice(0)) fn();
});

const tiny = createTinyProtocol(1024);

function connection() {
  const [peer, socket] = createSocketPair();
  const conn = new Connection(socket, tiny, { sendQueueSize: 2 });
  const read: Buffer[] = [];
  peer.on("data", (chunk: Buffer) => read.push(chunk));
  cleanup.push(() => {
    conn.destroy();
    peer.destroy();
  });
  return { conn, text: () => Buffer.concat(read).toString("latin1") };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe("the flush pass", () => {
  it("flushes the queues after one whose drain listener throws, and every later pass", async () => {
    await catchingUncaught(async (errors) => {
      const a = connection();
      const b = connection();
      const boom = new Error("listener bug");
      a.conn.on("drain", () => {
        throw boom;
      });
      a.conn.send("a1");
      expect(a.conn.send("a2")).toBe(false); // asks for a drain event
      b.conn.send("b1");
      await turn();
      await turn();
      expect(errors).toEqual([boom]);
      expect(b.text()).toBe("\xab\x00\x02b1");
      // Later passes still run, for both connections.
      b.conn.send("b2");
      a.conn.send("a3");
      await turn();
      await turn();
      expect(b.text()).toBe("\xab\x00\x02b1\xab\x00\x02b2");
      expect(a.text()).toBe("\xab\x00\x02a1\xab\x00\x02a2\xab\x00\x02a3");
      expect(a.conn.queuedMessages).toBe(0);
      expect(b.conn.queuedMessages).toBe(0);
    });
  });

  it("resumes reading held for a full queue even when the drain listener throws", async () => {
    await catchingUncaught(async (errors) => {
      const [peer, socket] = createSocketPair();
      const echo = new Connection(socket, tiny, { sendQueueSize: 4, pauseOnFullQueue: true });
      cleanup.push(() => {
        echo.destroy();
        peer.destroy();
      });
      echo.on("message", (m) => echo.send(m));
      echo.on("drain", () => {
        throw new Error("listener bug");
      });
      let echoed = "";
      peer.on("data", (chunk: Buffer) => {
        echoed += chunk.toString("latin1");
      });
      const frames = Array.from({ length: 40 }, (_, i) => tiny.encode(`m${i % 10}`));
      peer.write(Buffer.concat(frames));
      const all = Buffer.concat(frames).toString("latin1");
      for (let i = 0; i < 50 && echoed.length < all.length; i++) await turn();
      expect(echoed).toBe(all);
      expect(errors.length).toBeGreaterThan(0);
      expect(echo.isPaused).toBe(false);
    });
  });
});
