// Issue 18: a broadcast's receivers that queue the same frames in one tick are written
// one shared batch, as a hand-written fan-out writes one buffer to every socket; a
// receiver whose frames differ (even by one frame of the same size) gets its own.
import { afterEach, describe, expect, it } from "vitest";
import { Connection } from "./connection";
import { createTinyProtocol } from "./fixtures/tiny-protocol";
import { createSocketPair, type MemorySocket } from "./testing/socket-pair";

const cleanup: Array<() => void> = [];
afterEach(() => {
  for (const fn of cleanup.splice(0)) fn();
});

const tiny = createTinyProtocol(1024);

/** A connection whose socket records what it is handed, and the bytes its peer reads. */
function receiver() {
  const [peer, socket] = createSocketPair();
  const conn = new Connection(socket, tiny);
  const writes: Uint8Array[] = [];
  const write = socket.write.bind(socket);
  socket.write = ((chunk: Uint8Array, ...rest: never[]) => {
    writes.push(chunk);
    return write(chunk, ...rest);
  }) as MemorySocket["write"];
  const read: Buffer[] = [];
  peer.on("data", (chunk: Buffer) => read.push(chunk));
  cleanup.push(() => {
    conn.destroy();
    peer.destroy();
  });
  return { conn, writes, read };
}

describe("fan-out of the same frames", () => {
  it("writes one batch to every receiver of the same frames, and its own to one whose frames differ", async () => {
    const [a, b, c] = [receiver(), receiver(), receiver()];
    const [one, two, three] = ["one", "two", "333"].map((s) => tiny.encode(s));
    const other = tiny.encode("owt"); // as long as `two`
    for (const r of [a, b]) {
      r.conn.sendEncoded(one as Uint8Array);
      r.conn.sendEncoded(two as Uint8Array);
      r.conn.sendEncoded(three as Uint8Array);
    }
    c.conn.sendEncoded(one as Uint8Array);
    c.conn.sendEncoded(other);
    c.conn.sendEncoded(three as Uint8Array);
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(a.writes).toHaveLength(1);
    expect(b.writes).toHaveLength(1);
    expect(c.writes).toHaveLength(1);
    expect(b.writes[0]).toBe(a.writes[0]);
    expect(c.writes[0]).not.toBe(a.writes[0]);
    const expected = (frames: Uint8Array[]) => Buffer.concat(frames).toString("latin1");
    expect(Buffer.concat(a.read).toString("latin1")).toBe(
      expected([one, two, three] as Uint8Array[]),
    );
    expect(Buffer.concat(b.read).toString("latin1")).toBe(
      expected([one, two, three] as Uint8Array[]),
    );
    expect(Buffer.concat(c.read).toString("latin1")).toBe(
      expected([one, other, three] as Uint8Array[]),
    );
    for (const r of [a, b, c]) expect(r.conn.stats.messagesOut).toBe(3);
  });

  it("does not share a batch across ticks, nor with a queue holding fewer of the frames", async () => {
    const [a, b, c] = [receiver(), receiver(), receiver()];
    const [one, two] = ["one", "two"].map((s) => tiny.encode(s)) as [Uint8Array, Uint8Array];
    a.conn.sendEncoded(one);
    a.conn.sendEncoded(two);
    b.conn.sendEncoded(one);
    await new Promise((r) => setImmediate(r));
    c.conn.sendEncoded(one);
    c.conn.sendEncoded(two);
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(c.writes[0]).not.toBe(a.writes[0]);
    expect(Buffer.concat(b.read).toString("latin1")).toBe("\xab\x00\x03one");
    expect(Buffer.concat(c.read).toString("latin1")).toBe(
      Buffer.concat([one, two]).toString("latin1"),
    );
  });
});
