import { once } from "node:events";
import {
  type AddressInfo,
  createConnection,
  createServer,
  type Server,
  type Socket,
} from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { Connection } from "./connection";
import { TaurusError } from "./errors";
import { createTinyProtocol } from "./fixtures/tiny-protocol";
import { createSocketPair } from "./testing/socket-pair";
import { until } from "./testing/wait";

const tiny = createTinyProtocol(1024);
const cleanup: Array<() => void> = [];
afterEach(() => {
  for (const fn of cleanup.splice(0)) fn();
});

function pair(options: ConstructorParameters<typeof Connection>[2] = {}) {
  const [a, b] = createSocketPair();
  const left = new Connection(a, tiny, options);
  const right = new Connection(b, tiny, options);
  cleanup.push(() => {
    left.destroy();
    right.destroy();
  });
  return { left, right, a, b };
}

function collect(conn: Connection<string>, n: number): Promise<string[]> {
  const got: string[] = [];
  return new Promise((resolve) => {
    conn.on("message", (m) => {
      got.push(m);
      if (got.length === n) resolve(got);
    });
  });
}

/** The error `close` reports (events.once would reject on the `error` event instead). */
function closed(conn: Connection<string>): Promise<TaurusError | undefined> {
  return new Promise((resolve) => conn.once("close", resolve));
}

async function tcpPair(): Promise<{ server: Server; client: Socket; accepted: Socket }> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  const client = createConnection(port, "127.0.0.1");
  const [accepted] = (await once(server, "connection")) as [Socket];
  await once(client, "connect");
  cleanup.push(() => {
    client.destroy();
    accepted.destroy();
    server.close();
  });
  return { server, client, accepted };
}

describe("Connection", () => {
  it("exchanges messages in order over an in-memory pair", async () => {
    const { left, right } = pair();
    const got = collect(right, 100);
    for (let i = 0; i < 100; i++) left.send(`m${i}`);
    expect(await got).toEqual(Array.from({ length: 100 }, (_, i) => `m${i}`));
    expect(left.stats.messagesOut).toBe(100);
    expect(right.stats.messagesIn).toBe(100);
    expect(right.stats.bytesIn).toBe(left.stats.bytesOut);
  });

  it("delivers every complete frame of one chunk, in order", async () => {
    const [a, b] = createSocketPair();
    const conn = new Connection(b, tiny);
    cleanup.push(() => conn.destroy());
    const frames = ["a", "bb", "ccc"].map((s) => tiny.encode(s));
    const got = collect(conn, 3);
    a.write(Buffer.concat(frames));
    expect(await got).toEqual(["a", "bb", "ccc"]);
    a.destroy();
  });

  it("coalesces the sends of one tick into one socket write", async () => {
    const { left, a } = pair();
    const writes: number[] = [];
    const write = a.write.bind(a);
    a.write = ((chunk: Uint8Array, ...rest: never[]) => {
      writes.push(chunk.length);
      return write(chunk, ...rest);
    }) as typeof a.write;
    for (let i = 0; i < 10; i++) left.send("x");
    await new Promise((r) => setImmediate(r));
    expect(writes).toEqual([40]);
  });

  it("counts drops by reason, reports them as typed errors and keeps the connection", async () => {
    const [a, b] = createSocketPair();
    const conn = new Connection(b, tiny, { maxMessageSize: 16 });
    cleanup.push(() => conn.destroy());
    const drops: string[] = [];
    conn.on("drop", (e) => drops.push(e.code));
    const got = collect(conn, 1);
    a.write(Buffer.from([1, 2, 3])); // garbage
    a.write(Buffer.concat([tiny.encode("y".repeat(40)), tiny.encode("ok")])); // too large, then fine
    expect(await got).toEqual(["ok"]);
    expect(drops).toEqual(["INVALID_FORMAT", "MESSAGE_TOO_LARGE"]);
    expect(conn.stats.drops).toMatchObject({ invalid_format: 1, too_large: 1 });
    expect(conn.stats.errors.protocol).toBe(2);
    expect(conn.state).toBe("open");
    a.destroy();
  });

  it("skips a frame announcing 64 KiB under a 1 KiB limit as it streams, never buffering it", async () => {
    const [a, b] = createSocketPair();
    const conn = new Connection(b, createTinyProtocol(70_000), { maxMessageSize: 1024 });
    cleanup.push(() => conn.destroy());
    const got = collect(conn, 1);
    const big = createTinyProtocol(70_000).encode("z".repeat(65_000));
    let peak = 0;
    for (let i = 0; i < big.length; i += 1000) {
      a.write(big.subarray(i, i + 1000));
      await new Promise((r) => setImmediate(r));
      peak = Math.max(peak, (conn as unknown as { reader: { buffered: number } }).reader.buffered);
    }
    a.write(tiny.encode("after"));
    expect(await got).toEqual(["after"]);
    expect(peak).toBeLessThanOrEqual(1024 + 1000);
    expect(conn.stats.drops.too_large).toBe(1);
    a.destroy();
  });

  it("rejects a send past the queue bound with SEND_QUEUE_FULL and queues nothing", () => {
    const { left } = pair({ sendQueueSize: 4 });
    expect(left.send("1")).toBe(true);
    expect(left.send("2")).toBe(true);
    expect(left.send("3")).toBe(false); // over half: wait for drain
    left.send("4");
    const err = (() => {
      try {
        left.send("5");
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(TaurusError);
    expect((err as TaurusError).code).toBe("SEND_QUEUE_FULL");
    expect((err as TaurusError).kind).toBe("buffer");
    expect(left.queuedMessages).toBe(4);
    expect(left.stats.errors.buffer).toBe(1);
  });

  it("closes a slow consumer under the disconnect policy", async () => {
    const { left } = pair({ sendQueueSize: 1, slowConsumerPolicy: "disconnect" });
    const done = closed(left);
    left.send("a");
    expect(() => left.send("b")).toThrow(expect.objectContaining({ code: "SEND_QUEUE_FULL" }));
    expect((await done)?.code).toBe("SEND_QUEUE_FULL");
    expect(left.stats.errors.buffer).toBe(1);
  });

  it("hands back frames that never reached the socket after close, once", () => {
    const { left } = pair();
    left.send("one");
    left.send("two");
    left.destroy();
    const unsent = left.takeUnsent();
    expect(unsent.map((f) => Buffer.from(f).subarray(3).toString())).toEqual(["one", "two"]);
    expect(left.takeUnsent()).toEqual([]);
  });

  it("applies the byte bound of the send queue too", () => {
    const { left } = pair({ sendQueueBytes: 100 });
    left.send("a".repeat(90));
    expect(() => left.send("b".repeat(10))).toThrow(
      expect.objectContaining({ code: "SEND_QUEUE_FULL" }),
    );
  });

  it("refuses a message the protocol cannot encode, before anything is queued", () => {
    const { left } = pair();
    expect(() => left.send(7 as unknown as string)).toThrow(
      expect.objectContaining({ code: "INVALID_MESSAGE" }),
    );
    expect(() => left.send("q".repeat(2000))).toThrow(
      expect.objectContaining({ code: "MESSAGE_TOO_LARGE" }),
    );
    expect(left.queuedMessages).toBe(0);
  });

  it("emits drain once the queue empties after send returned false", async () => {
    const { left } = pair({ sendQueueSize: 2 });
    left.send("a");
    expect(left.send("b")).toBe(false);
    await once(left, "drain");
    expect(left.queuedMessages).toBe(0);
  });

  it("holds at most the queue bounds plus one high-water mark while the peer never reads", async () => {
    const { client, accepted } = await tcpPair();
    accepted.pause(); // the peer never reads
    const conn = new Connection(client, tiny, {
      sendQueueSize: 100_000,
      sendQueueBytes: 256 * 1024,
    });
    const payload = "p".repeat(1000);
    let accepted_ = 0;
    let refused = 0;
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 200; i++) {
        try {
          conn.send(payload);
          accepted_++;
        } catch (e) {
          expect((e as TaurusError).code).toBe("SEND_QUEUE_FULL");
          refused++;
        }
      }
      await new Promise((r) => setTimeout(r, 1));
    }
    expect(refused).toBeGreaterThan(0);
    expect(conn.bufferedAmount).toBeLessThanOrEqual(256 * 1024 + 64 * 1024 + 64 * 1024);
    expect(accepted_).toBeGreaterThan(0);
    conn.destroy();
  });

  it("pause() stops delivery in the middle of a chunk and resume() continues in order", async () => {
    const [a, b] = createSocketPair();
    const conn = new Connection(b, tiny);
    cleanup.push(() => conn.destroy());
    const got: string[] = [];
    conn.on("message", (m) => {
      got.push(m);
      if (m === "2") conn.pause();
    });
    a.write(Buffer.concat(["1", "2", "3", "4"].map((s) => tiny.encode(s))));
    // The four frames arrive as one chunk: once "2" is delivered, the chunk has been handled.
    await until(() => got.length >= 2);
    expect(got).toEqual(["1", "2"]);
    expect(conn.isPaused).toBe(true);
    conn.resume();
    expect(got).toEqual(["1", "2", "3", "4"]);
    a.destroy();
  });

  it("close() flushes everything accepted, then closes", async () => {
    const { client, accepted } = await tcpPair();
    const sender = new Connection(client, tiny);
    const receiver = new Connection(accepted, tiny);
    const got = collect(receiver, 500);
    for (let i = 0; i < 500; i++) sender.send(`n${i}`);
    const ended = sender.close();
    expect(() => sender.send("late")).toThrow(
      expect.objectContaining({ code: "CONNECTION_CLOSED" }),
    );
    expect((await got).at(-1)).toBe("n499");
    await ended;
    expect(sender.state).toBe("closed");
  });

  it("end(), deprecated, is the graceful close()", async () => {
    const { client, accepted } = await tcpPair();
    const sender = new Connection(client, tiny);
    const receiver = new Connection(accepted, tiny);
    const got = collect(receiver, 50);
    for (let i = 0; i < 50; i++) sender.send(`n${i}`);
    const ended = sender.end();
    expect(sender.state).toBe("closing");
    expect((await got).at(-1)).toBe("n49");
    await ended;
    expect(sender.state).toBe("closed");
  });

  it("emits close exactly once, with the error that closed it", async () => {
    const { left } = pair();
    const closes: Array<string | undefined> = [];
    left.on("close", (e) => closes.push(e?.code));
    left.destroy(new TaurusError("IDLE_TIMEOUT", "test"));
    left.destroy();
    left.destroy(new TaurusError("SOCKET", "again"));
    await new Promise((r) => setImmediate(r));
    expect(closes).toEqual(["IDLE_TIMEOUT"]);
    expect(left.state).toBe("closed");
  });

  it("closes an idle connection with IDLE_TIMEOUT", async () => {
    const { left } = pair({ idleTimeout: 30 });
    expect((await closed(left))?.code).toBe("IDLE_TIMEOUT");
  });

  it("counts only whole messages as activity: a peer dripping one frame is idle", async () => {
    const [a, b] = createSocketPair();
    const conn = new Connection(b, tiny, { idleTimeout: 80 });
    const frame = tiny.encode("x".repeat(100));
    let at = 0;
    const drip = setInterval(() => {
      if (at < frame.length) a.write(frame.subarray(at, ++at));
    }, 10);
    const error = await closed(conn);
    clearInterval(drip);
    a.destroy();
    expect(error?.code).toBe("IDLE_TIMEOUT");
    // Closed while the frame was still dripping in: its bytes did not keep it alive.
    expect(conn.stats.messagesIn).toBe(0);
    expect(at).toBeLessThan(frame.length);
  });

  it("stays open while whole messages keep flowing", async () => {
    // Only inbound messages count: the sending side, which receives nothing, has no idle timeout.
    const [a, b] = createSocketPair();
    const left = new Connection(a, tiny, { idleTimeout: 0 });
    const right = new Connection(b, tiny, { idleTimeout: 60 });
    cleanup.push(() => {
      left.destroy();
      right.destroy();
    });
    const timer = setInterval(() => left.send("tick"), 15);
    // 17 ticks 15 ms apart span at least 240 ms: four idle timeouts.
    await until(() => right.stats.messagesIn >= 17 || right.state !== "open", {
      what: "17 ticks",
    });
    clearInterval(timer);
    expect(right.state).toBe("open");
    expect(right.stats.messagesIn).toBeGreaterThan(5);
  });

  it("closes a peer that sends no first byte with HANDSHAKE_TIMEOUT", async () => {
    const { left } = pair({ handshakeTimeout: 20 });
    expect((await closed(left))?.code).toBe("HANDSHAKE_TIMEOUT");
  });

  it("takes firstByteTimeout, deprecated, as handshakeTimeout", async () => {
    const { left } = pair({ firstByteTimeout: 20 });
    expect((await closed(left))?.code).toBe("HANDSHAKE_TIMEOUT");
    const { left: same } = pair({ firstByteTimeout: 20, handshakeTimeout: 20 });
    expect((await closed(same))?.code).toBe("HANDSHAKE_TIMEOUT");
  });

  it("refuses handshakeTimeout and firstByteTimeout that disagree", () => {
    const [a] = createSocketPair();
    expect(() => new Connection(a, tiny, { handshakeTimeout: 20, firstByteTimeout: 30 })).toThrow(
      expect.objectContaining({ code: "INVALID_OPTION", option: "handshakeTimeout" }),
    );
    expect(() => new Connection(a, tiny, { firstByteTimeout: -1 })).toThrow(
      expect.objectContaining({ code: "INVALID_OPTION", option: "firstByteTimeout" }),
    );
    a.destroy();
  });

  it("exposes id, addresses and attributes; emits connect", async () => {
    const { client } = await tcpPair();
    const conn = new Connection(client, tiny, { id: "c-1" });
    await once(conn, "connect");
    expect(conn.id).toBe("c-1");
    expect(conn.remoteAddress).toBe("127.0.0.1");
    expect(conn.localAddress).toBe("127.0.0.1");
    expect(conn.remotePort).toBeGreaterThan(0);
    conn.attributes.set("user", "alice");
    expect(conn.attributes.get("user")).toBe("alice");
    const ids = Array.from({ length: 3 }, () => new Connection(createSocketPair()[0], tiny).id);
    expect(new Set(ids).size).toBe(3);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{6}-[0-9a-z]+$/);
    conn.destroy();
  });

  it("lists only the events that have listeners in eventNames()", () => {
    const { left } = pair();
    expect(left.eventNames()).toEqual([]);
    const onClose = (): void => {};
    left.on("close", onClose);
    left.on("drain", () => {});
    expect(left.eventNames()).toEqual(["close", "drain"]);
    left.off("close", onClose);
    expect(left.eventNames()).toEqual(["drain"]);
    expect(left.listenerCount("message")).toBe(0);
    expect(left.maxMessageSize).toBe(1024);
  });

  it("reports a truncated frame at end of stream as a drop", async () => {
    const [a, b] = createSocketPair();
    const conn = new Connection(b, tiny);
    const drops: string[] = [];
    conn.on("drop", (e) => drops.push(e.code));
    a.end(tiny.encode("abcdef").subarray(0, 4));
    await closed(conn);
    expect(drops).toEqual(["INVALID_FORMAT"]);
  });

  it("validates options, naming the option", () => {
    const [a] = createSocketPair();
    expect(() => new Connection(a, tiny, { sendQueueSize: 0 })).toThrow(
      expect.objectContaining({
        code: "INVALID_OPTION",
        message: expect.stringContaining("sendQueueSize"),
      }),
    );
    expect(() => new Connection(a, tiny, { maxMessageSize: 4096 })).toThrow(
      expect.objectContaining({ code: "INVALID_OPTION" }),
    );
    a.destroy();
  });
});
