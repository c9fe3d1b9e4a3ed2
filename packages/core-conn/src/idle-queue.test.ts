// An idle connection holds no send queue: it is created by the first frame queued, and an
// empty one is let go at the next deadline sweep (issue 18, idle memory per connection).
import { afterEach, describe, expect, it } from "vitest";
import { Connection } from "./connection";
import { createTinyProtocol, createTinyV2Protocol } from "./fixtures/tiny-protocol";
import { createSocketPair } from "./testing/socket-pair";
import { until } from "./testing/wait";

const tiny = createTinyProtocol(1024);
const cleanup: Array<() => void> = [];
afterEach(() => {
  for (const fn of cleanup.splice(0)) fn();
});

/** The connection's send queue, or `undefined` when it holds none (private: structure only). */
const queueOf = (conn: Connection<string>): unknown =>
  (conn as unknown as { sendQueue: unknown }).sendQueue;

describe("an idle connection's send queue", () => {
  it("is created by the first send, let go once empty at a sweep, and made again by the next send", async () => {
    const [a, b] = createSocketPair();
    // A deadline makes the connection a member of the sweep (every 25 ms for 100 ms).
    const left = new Connection(a, tiny, { idleTimeout: 100_000, frameTimeout: 100 });
    const right = new Connection(b, tiny);
    cleanup.push(() => {
      left.destroy();
      right.destroy();
    });
    const got: string[] = [];
    right.on("message", (m) => void got.push(m));
    expect(queueOf(left)).toBeUndefined();
    expect(left.queuedMessages).toBe(0);
    expect(left.bufferedAmount).toBe(0);
    left.send("one");
    expect(queueOf(left)).toBeDefined();
    await until(() => got.length === 1, { what: "the first message" });
    await until(() => queueOf(left) === undefined, { what: "the empty queue let go" });
    left.send("two");
    left.send("three");
    await until(() => got.length === 3, { what: "the next messages" });
    expect(got).toEqual(["one", "two", "three"]);
    // Closing a connection that holds no queue ends it cleanly.
    await until(() => queueOf(left) === undefined, { what: "let go again" });
    await left.close();
    expect(left.state).toBe("closed");
  });
});

/** The connection's frame reader, or `undefined` when it holds none (private: structure only). */
const readerOf = (conn: Connection<string>): unknown =>
  (conn as unknown as { reader: unknown }).reader;

describe("an idle connection's frame reader", () => {
  it("is made by the first chunk, let go at rest at a sweep, made again; the decoder stays", async () => {
    const v2 = createTinyV2Protocol();
    const [a, b] = createSocketPair();
    const left = new Connection(a, v2);
    const right = new Connection(b, v2, { idleTimeout: 100_000, frameTimeout: 100 });
    cleanup.push(() => {
      left.destroy();
      right.destroy();
    });
    expect(v2.decoders).toHaveLength(2); // one per connection, made with it
    const got: string[] = [];
    right.on("message", (m) => void got.push(m));
    expect(readerOf(right)).toBeUndefined();
    left.send("one");
    await until(() => got.length === 1, { what: "the first message" });
    await until(() => readerOf(right) === undefined, { what: "the reader at rest let go" });
    // A frame in two chunks: the reader made again holds the first half across a sweep.
    const frame = Buffer.from(v2.encode("two"));
    a.write(frame.subarray(0, 2));
    await until(() => readerOf(right) !== undefined, { what: "a reader for the half frame" });
    await new Promise((resolve) => setTimeout(resolve, 60)); // two sweeps with a frame partly in
    expect(readerOf(right)).toBeDefined();
    a.write(frame.subarray(2));
    await until(() => got.length === 2, { what: "the second message" });
    expect(got).toEqual(["one", "two"]);
    expect(v2.decoders).toHaveLength(2); // no decoder made for the new reader
  });
});
