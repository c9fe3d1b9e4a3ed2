// Issue 18: the data path's memory and copy cuts keep every behaviour: large frames leave
// as they are (one writev), in order and counted; options are shared only between
// connections that were given the same ones; error and drop counts stay per connection.
import { once } from "node:events";
import { type AddressInfo, connect, createServer, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { Connection } from "./connection";
import type { TaurusError } from "./errors";
import { createTinyProtocol } from "./fixtures/tiny-protocol";
import type { InboundLimiter } from "./options";
import { createSocketPair } from "./testing/socket-pair";

const cleanup: Array<() => void> = [];
afterEach(() => {
  for (const fn of cleanup.splice(0)) fn();
});

function open(options: ConstructorParameters<typeof Connection>[2] = {}) {
  const [a, b] = createSocketPair();
  const conn = new Connection(b, createTinyProtocol(64 * 1024), options);
  cleanup.push(() => {
    conn.destroy();
    a.destroy();
  });
  return { conn, peer: a };
}

function closed(conn: Connection<unknown>): Promise<TaurusError | undefined> {
  return new Promise((resolve) => conn.once("close", resolve));
}

/** A tiny-protocol frame of `size` bytes of text `fill`. */
function frame(size: number, fill: string): Buffer {
  const body = Buffer.alloc(size - 3, fill);
  return Buffer.concat([Buffer.from([0xab, body.length >> 8, body.length & 0xff]), body]);
}

describe("the data path (issue 18)", () => {
  it("writes a tick's large frames over TCP as they are, in order, and counts them", async () => {
    const server = createServer({ allowHalfOpen: true });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const { port } = server.address() as AddressInfo;
    const client = connect({ host: "127.0.0.1", port });
    const [socket] = (await once(server, "connection")) as [Socket];
    const conn = new Connection(socket, createTinyProtocol(64 * 1024));
    cleanup.push(() => {
      conn.destroy();
      client.destroy();
      server.close();
    });
    const frames = ["a", "b", "c", "d", "e"].map((fill) => frame(4000, fill));
    let writes = 0;
    const write = socket.write.bind(socket);
    socket.write = ((...args: Parameters<Socket["write"]>) => {
      writes++;
      return write(...args);
    }) as Socket["write"];
    for (const f of frames) conn.sendEncoded(f);
    const expected = Buffer.concat(frames);
    const got: Buffer[] = [];
    let length = 0;
    await new Promise<void>((resolve) => {
      client.on("data", (chunk: Buffer) => {
        got.push(chunk);
        length += chunk.length;
        if (length >= expected.length) resolve();
      });
    });
    expect(Buffer.concat(got).equals(expected)).toBe(true);
    // Each frame handed over as it is (no concatenated copy), all in one flush.
    expect(writes).toBe(frames.length);
    expect(conn.stats.messagesOut).toBe(frames.length);
    expect(conn.stats.bytesOut).toBe(expected.length);
    expect(conn.queuedMessages).toBe(0);
  });

  it("serves a socket handed to a second connection on both, as before", async () => {
    const [a, b] = createSocketPair();
    const first = new Connection(b, createTinyProtocol(1024));
    const second = new Connection(b, createTinyProtocol(1024));
    cleanup.push(() => {
      first.destroy();
      second.destroy();
      a.destroy();
    });
    const got = Promise.all([once(first, "message"), once(second, "message")]);
    a.write(frame(5, "z"));
    expect((await got).map(([m]) => m)).toEqual(["zz", "zz"]);
    const closes = Promise.all([closed(first), closed(second)]);
    a.destroy();
    expect(await closes).toHaveLength(2);
  });

  it("gives each connection the options it was given, whatever the one before had", async () => {
    const quick = open({ idleTimeout: 60 });
    const slow = open({ idleTimeout: 60_000 });
    const again = open({ idleTimeout: 60 });
    const [quickError, againError] = await Promise.all([closed(quick.conn), closed(again.conn)]);
    expect(quickError?.code).toBe("IDLE_TIMEOUT");
    expect(againError?.code).toBe("IDLE_TIMEOUT");
    expect(slow.conn.state).toBe("open");
  });

  it("keeps the inbound limiter of each connection its own, with options otherwise alike", async () => {
    let waits = 0;
    const holding: InboundLimiter = {
      delay: () => {
        waits++;
        return 60_000;
      },
      charge: () => {},
    };
    const limited = open({ inboundLimiter: holding });
    const free = open({});
    const got: string[] = [];
    free.conn.on("message", (m) => got.push(m));
    limited.conn.on("message", () => got.push("limited"));
    limited.peer.write(frame(10, "x"));
    free.peer.write(frame(10, "y"));
    await new Promise<void>((resolve) => {
      const check = () => (got.length > 0 && waits > 0 ? resolve() : setImmediate(check));
      check();
    });
    expect(got).toEqual(["yyyyyyy"]);
    expect(limited.conn.isPaused).toBe(true);
  });

  it("counts errors and drops per connection, from shared zeros until the first one", async () => {
    const a = open();
    const b = open();
    expect(a.conn.stats.errors).toEqual({ connection: 0, protocol: 0, system: 0, buffer: 0 });
    const dropped = once(a.conn, "drop");
    a.peer.write(Buffer.from([0x00, 0x01]));
    await dropped;
    expect(a.conn.stats.drops.invalid_format).toBe(1);
    expect(a.conn.stats.errors.protocol).toBe(1);
    expect(b.conn.stats.drops.invalid_format).toBe(0);
    expect(b.conn.stats.errors.protocol).toBe(0);
    expect(Object.isFrozen(a.conn.stats.errors)).toBe(false);
  });
});
