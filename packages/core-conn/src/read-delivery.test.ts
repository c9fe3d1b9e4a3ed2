// What handlers send while a read is delivered leaves as that read ends, without the
// end-of-tick microtask; sends from anywhere else still wait for the end-of-tick pass.
import { Duplex } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { Connection } from "./connection";
import { createTinyProtocol } from "./fixtures/tiny-protocol";
import { catchingUncaught } from "./test-uncaught";
import { createSocketPair, type MemorySocket } from "./testing/socket-pair";

const cleanup: Array<() => void> = [];
afterEach(() => {
  for (const fn of cleanup.splice(0)) fn();
});

const tiny = createTinyProtocol(1024);
const frame = (text: string) => Buffer.from(tiny.encode(text));
const turn = () => new Promise((resolve) => setImmediate(resolve));

/** A connection whose socket records every `write` call, as the bytes of each. */
function connection(options: { sendQueueSize?: number } = {}) {
  const [peer, socket] = createSocketPair();
  const writes: string[] = [];
  const write = socket.write.bind(socket) as MemorySocket["write"];
  socket.write = ((chunk: Uint8Array, ...rest: never[]) => {
    writes.push(Buffer.from(chunk).toString("latin1"));
    return write(chunk, ...rest);
  }) as MemorySocket["write"];
  const conn = new Connection(socket, tiny, options);
  cleanup.push(() => {
    conn.destroy();
    peer.destroy();
  });
  /** Delivers `chunk` as the socket's next read, synchronously. */
  const read = (chunk: Buffer) => socket.emit("data", chunk);
  return { conn, writes, read };
}

describe("sends while a read is delivered", () => {
  it("the replies to a read are written as the read ends, together, before any microtask", () => {
    const a = connection();
    a.conn.on("message", (m) => {
      a.conn.send(`${m}!`);
      a.conn.send(`${m}?`);
    });
    a.read(Buffer.concat([frame("x"), frame("y")]));
    expect(a.writes).toEqual(["\xab\x00\x02x!\xab\x00\x02x?\xab\x00\x02y!\xab\x00\x02y?"]);
    expect(a.conn.queuedMessages).toBe(0);
  });

  it("what a handler sends to other connections leaves with the read too", () => {
    const a = connection();
    const b = connection();
    a.conn.on("message", (m) => b.conn.send(m));
    a.read(frame("to b"));
    expect(b.writes).toEqual(["\xab\x00\x04to b"]);
    expect(a.writes).toEqual([]);
  });

  it("sends made outside a read wait for the end-of-tick pass, in one write", async () => {
    const a = connection();
    a.conn.send("one");
    a.conn.send("two");
    expect(a.writes).toEqual([]);
    await Promise.resolve();
    expect(a.writes).toEqual(["\xab\x00\x03one\xab\x00\x03two"]);
  });

  it("a send made before a read, in the same tick, leaves with that read's replies", async () => {
    const a = connection();
    a.conn.on("message", (m) => a.conn.send(m));
    a.conn.send("first");
    a.read(frame("echo"));
    // The pass queued by the first send is on its way: the read leaves both to it.
    expect(a.writes).toEqual([]);
    await Promise.resolve();
    expect(a.writes).toEqual(["\xab\x00\x05first\xab\x00\x04echo"]);
  });

  it("a read that a flush delivers at once (an in-process stream) leaves its sends to the running pass", async () => {
    await catchingUncaught(async (errors) => {
      // Two streams whose writes reach the other one's connection within the write call.
      const left: Duplex = new Duplex({
        read() {},
        write(chunk: Buffer, _encoding, callback) {
          right.emit("data", Buffer.from(chunk));
          callback();
        },
      });
      const right: Duplex = new Duplex({
        read() {},
        write(chunk: Buffer, _encoding, callback) {
          left.emit("data", Buffer.from(chunk));
          callback();
        },
      });
      const one = new Connection(left, tiny, {});
      const two = new Connection(right, tiny, {});
      cleanup.push(() => {
        one.destroy();
        two.destroy();
      });
      const got: string[] = [];
      one.on("message", (m) => {
        got.push(`one:${m}`);
        if (m === "a") one.send("b");
      });
      two.on("message", (m) => {
        got.push(`two:${m}`);
        if (m === "b") two.send("c");
      });
      left.emit("data", frame("a"));
      expect(got).toEqual(["one:a", "two:b", "one:c"]);
      await turn();
      expect(errors).toEqual([]);
      expect(one.queuedMessages + two.queuedMessages).toBe(0);
    });
  });

  it("a drain listener that throws as the read ends: other queues still flushed, the error reaches the process from a microtask", async () => {
    await catchingUncaught(async (errors) => {
      const a = connection({ sendQueueSize: 2 });
      const b = connection();
      const boom = new Error("listener bug");
      a.conn.on("drain", () => {
        throw boom;
      });
      a.conn.on("message", (m) => {
        a.conn.send(`${m}1`);
        a.conn.send(`${m}2`); // fills the queue: asks for a drain event
        b.conn.send(m);
      });
      expect(() => a.read(frame("m"))).not.toThrow();
      expect(a.writes).toEqual(["\xab\x00\x02m1\xab\x00\x02m2"]);
      expect(b.writes).toEqual(["\xab\x00\x01m"]);
      expect(errors).toEqual([]);
      await turn();
      expect(errors).toEqual([boom]);
      // Later reads and passes still flush.
      a.read(frame("n"));
      expect(a.writes.at(-1)).toBe("\xab\x00\x02n1\xab\x00\x02n2");
    });
  });
});
