// Contract v2 in a Connection: a decoder per connection, fatal results, continued
// drops, and frames written by encodeInto straight into the outgoing batch.
import { once } from "node:events";
import { type AddressInfo, connect, createServer } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { Connection } from "./connection";
import type { TaurusError } from "./errors";
import { createLineProtocol } from "./fixtures/lines";
import { tcpPair } from "./fixtures/tcp-pair";
import { createTinyProtocol, createTinyV2Protocol } from "./fixtures/tiny-protocol";
import { createU16Protocol, RESERVED } from "./fixtures/u16";
import type { Protocol } from "./protocol";
import { createSocketPair } from "./testing/socket-pair";

const cleanup: Array<() => void> = [];
afterEach(() => {
  for (const fn of cleanup.splice(0)) fn();
});

function open<M>(protocol: Protocol<M>, options: ConstructorParameters<typeof Connection>[2] = {}) {
  const [a, b] = createSocketPair();
  const conn = new Connection(b, protocol, options);
  cleanup.push(() => {
    conn.destroy();
    a.destroy();
  });
  return { conn, peer: a };
}

function closed(conn: Connection<unknown>): Promise<TaurusError | undefined> {
  return new Promise((resolve) => conn.once("close", resolve));
}

function collect<M>(conn: Connection<M>, n: number): Promise<M[]> {
  const got: M[] = [];
  return new Promise((resolve) => {
    conn.on("message", (m) => {
      got.push(m);
      if (got.length === n) resolve(got);
    });
  });
}

/** A frame of the u16 fixture whose length field is reserved: provably wrong. */
const poisonHeader = Buffer.from([RESERVED >> 8, RESERVED & 0xff]);

describe("Connection on contract v2", () => {
  it("asks the protocol for one decoder per connection, with the connection's limit", () => {
    const protocol = createTinyV2Protocol(1024);
    open(protocol);
    open(protocol, { maxMessageSize: 100 });
    expect(protocol.decoders).toEqual([1024, 100]);
  });

  it("refuses a protocol with neither createDecoder nor decode with INVALID_OPTION", () => {
    const [a] = createSocketPair();
    cleanup.push(() => a.destroy());
    const none = { name: "none", maxMessageSize: 10, encode: () => new Uint8Array(1) };
    expect(() => new Connection(a, none)).toThrow(
      expect.objectContaining({ code: "INVALID_OPTION" }),
    );
  });

  it("on a fatal result, delivers nothing after it and closes with the mapped code", async () => {
    const protocol = createU16Protocol();
    const { conn, peer } = open(protocol);
    const got: string[] = [];
    conn.on("message", (m) => got.push(m));
    const errors: TaurusError[] = [];
    conn.on("error", (e) => errors.push(e));
    const done = closed(conn);
    // One chunk: a message, the fatal header, then a message that must never be delivered.
    peer.write(Buffer.concat([protocol.encode("before"), poisonHeader, protocol.encode("after")]));
    const error = await done;
    expect(got).toEqual(["before"]);
    expect(error?.code).toBe("INVALID_FORMAT");
    expect(errors.map((e) => e.code)).toEqual(["INVALID_FORMAT"]);
    expect(conn.stats.errors.protocol).toBe(1);
    expect(conn.state).toBe("closed");
  });

  it("reports an over-long line once, and decodes the next line after it", async () => {
    const { conn, peer } = open(createLineProtocol(64));
    const drops: TaurusError[] = [];
    conn.on("drop", (e) => drops.push(e));
    const got = collect(conn, 2);
    peer.write("first\n");
    for (let i = 0; i < 20; i++) peer.write("x".repeat(50)); // 1000 bytes, no newline
    peer.write("tail of the long line\nsecond\n");
    expect(await got).toEqual(["first", "second"]);
    expect(drops.map((e) => e.code)).toEqual(["MESSAGE_TOO_LARGE"]);
    expect(conn.stats.drops.too_large).toBe(1);
  });

  it("closes with MESSAGE_TOO_LARGE when a v2 decoder asks for more past the limit", async () => {
    const greedy: Protocol<string> = {
      ...createTinyProtocol(),
      decode: undefined,
      createDecoder: () => ({ decode: () => ({ kind: "need_more" }) }),
    };
    const { conn, peer } = open(greedy, { maxMessageSize: 100 });
    const done = closed(conn);
    peer.write(Buffer.alloc(150));
    expect((await done)?.code).toBe("MESSAGE_TOO_LARGE");
  });
});

describe("Connection.send with encodeInto", () => {
  it("writes frames straight into the batch, in order with sendEncoded frames", async () => {
    const protocol = createTinyV2Protocol(1024);
    const [a, b] = createSocketPair();
    const sender = new Connection(a, protocol, { sendQueueSize: 10_000 });
    const receiver = new Connection(b, createTinyProtocol(1024));
    cleanup.push(() => {
      sender.destroy();
      receiver.destroy();
    });
    const want = Array.from({ length: 3000 }, (_, i) => `m${i}:${"y".repeat(i % 700)}`);
    const got = collect(receiver, want.length);
    want.forEach((m, i) => {
      if (i % 10 === 0) sender.sendEncoded(protocol.encode(m));
      else sender.send(m);
    });
    expect(await got).toEqual(want);
    expect(sender.stats.messagesOut).toBe(want.length);
    expect(receiver.stats.bytesIn).toBe(sender.stats.bytesOut);
  });

  it("queues nothing when encodeInto throws or writes another length than announced", () => {
    const tiny = createTinyV2Protocol(1024);
    const broken: Protocol<string> = {
      ...tiny,
      encodeInto(message, target, offset) {
        if (message === "throws") throw new Error("boom");
        const n = tiny.encodeInto?.(message, target, offset) as number;
        return message === "short" ? n - 1 : n;
      },
    };
    const { conn } = open(broken);
    expect(() => conn.send("throws")).toThrow("boom");
    expect(() => conn.send("short")).toThrow(expect.objectContaining({ code: "INVALID_MESSAGE" }));
    expect(conn.queuedMessages).toBe(0);
    expect(conn.bufferedAmount).toBe(0);
    conn.send("fine");
    expect(conn.queuedMessages).toBe(1);
  });

  it("checks the connection's limit before anything is written", () => {
    const { conn } = open(createTinyV2Protocol(1024), { maxMessageSize: 10 });
    expect(() => conn.send("more than ten bytes")).toThrow(
      expect.objectContaining({ code: "MESSAGE_TOO_LARGE" }),
    );
    expect(conn.queuedMessages).toBe(0);
  });

  it("hands back unsent frames after close, copied out of the shared batch", () => {
    const protocol = createTinyV2Protocol(1024);
    let depth = 0;
    const metrics = {
      messageReceived() {},
      messagesSent() {},
      error() {},
      queueDepthChanged: (n: number) => {
        depth += n;
      },
    };
    const { conn } = open(protocol, { metrics });
    const sent = ["a", "bb", "ccc"];
    for (const m of sent) conn.send(m);
    expect(depth).toBe(3);
    conn.destroy();
    expect(depth).toBe(0); // counted in messages, though the three come back as one run
    // Another connection now writes through the same shared batch.
    const other = open(protocol);
    for (let i = 0; i < 100; i++) other.conn.send("zzzzzzzz");
    expect(Buffer.concat(conn.takeUnsent())).toEqual(
      Buffer.concat(sent.map((m) => protocol.encode(m))),
    );
  });

  it.each([
    ["small frames (small slabs)", 4000, () => 500],
    // 4 KiB to 40 KiB: frames in large slabs, and over 32 KiB buffers of their own
    ["frames of 4-40 KiB (large slabs)", 300, (i: number) => 4000 + ((i * 7919) % 36_000)],
  ])(
    "keeps %s intact while the peer does not read and other connections keep writing",
    async (_, count, size) => {
      const { client, accepted } = await tcpPair(cleanup);
      accepted.pause(); // the peer does not read, for now
      const protocol = createTinyV2Protocol(64 * 1024);
      const slow = new Connection(client, protocol, {
        sendQueueSize: 100_000,
        sendQueueBytes: 64 << 20,
      });
      const receiver = new Connection(accepted, createTinyProtocol(64 * 1024));
      cleanup.push(() => {
        slow.destroy();
        receiver.destroy();
      });
      const busy = open(protocol, { sendQueueSize: 100_000, sendQueueBytes: 64 << 20 });
      const want = Array.from({ length: count }, (_, i) => `${i}:${"q".repeat(size(i))}`);
      for (const [i, m] of want.entries()) {
        slow.send(m);
        if (i % 10 === 9) {
          // churns the shared slabs, small and large
          for (let k = 0; k < 5; k++) busy.conn.send("x".repeat(k % 2 === 0 ? 200 : 9000));
          await new Promise((resolve) => setImmediate(resolve));
        }
      }
      const got = collect(receiver, want.length);
      accepted.resume();
      expect(await got).toEqual(want);
    },
  );
});

describe("Connection.send with encodeInto while the peer never reads", () => {
  it("holds at most the queue bounds plus one high-water mark", async () => {
    const { client, accepted } = await tcpPair(cleanup);
    accepted.pause(); // the peer never reads
    const conn = new Connection(client, createTinyV2Protocol(1024), {
      sendQueueSize: 100_000,
      sendQueueBytes: 256 * 1024,
    });
    cleanup.push(() => conn.destroy());
    let refused = 0;
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 200; i++) {
        try {
          conn.send("p".repeat(900));
        } catch (e) {
          expect((e as TaurusError).code).toBe("SEND_QUEUE_FULL");
          refused++;
        }
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(refused).toBeGreaterThan(0);
    expect(conn.bufferedAmount).toBeLessThanOrEqual(256 * 1024 + 64 * 1024 + 64 * 1024);
  });
});

describe("a fatal result with an attacker and a user on different addresses", () => {
  it("closes the attacker and keeps serving the user", async () => {
    const protocol = createU16Protocol();
    const closes: Array<{ address: string | undefined; code: string | undefined }> = [];
    const server = createServer({ allowHalfOpen: true }, (socket) => {
      const conn = new Connection(socket, protocol);
      const address = conn.remoteAddress;
      conn.on("message", (m) => conn.send(`echo:${m}`));
      conn.on("close", (e) => closes.push({ address, code: e?.code }));
      cleanup.push(() => conn.destroy());
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const { port } = server.address() as AddressInfo;
    cleanup.push(() => server.close());

    const attacker = connect({ host: "127.0.0.1", port, localAddress: "127.0.0.2" });
    cleanup.push(() => attacker.destroy());
    const attackerClosed = once(attacker, "close");
    attacker.write(Buffer.concat([poisonHeader, Buffer.alloc(100, 0x41)]));
    await attackerClosed;

    const user = connect({
      host: "127.0.0.1",
      port,
      localAddress: "127.0.0.3",
      allowHalfOpen: true,
    });
    const userConn = new Connection(user, protocol);
    cleanup.push(() => userConn.destroy());
    const reply = new Promise((resolve) => userConn.once("message", resolve));
    userConn.send("hello");
    expect(await reply).toBe("echo:hello");
    expect(closes).toContainEqual({ address: "127.0.0.2", code: "INVALID_FORMAT" });
    expect(closes.some((c) => c.address === "127.0.0.3")).toBe(false);
  });
});
