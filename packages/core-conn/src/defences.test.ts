// The defences of a Connection against hostile peers: deadlines on the shared
// sweeper, the inbound limiter, backpressure on its own queue, keepalives,
// farewells and the memory budget.
import { afterEach, describe, expect, it } from "vitest";
import { Connection } from "./connection";
import { TaurusError } from "./errors";
import { lingeringSockets } from "./farewell";
import { tcpPair } from "./fixtures/tcp-pair";
import { createTinyProtocol } from "./fixtures/tiny-protocol";
import { MemoryBudget } from "./memory-budget";
import type { InboundLimiter } from "./options";
import type { Protocol } from "./protocol";
import { sweeper } from "./sweeper";
import { createSocketPair } from "./testing/socket-pair";
import { until } from "./testing/wait";

const tiny = createTinyProtocol(1024);
/** The tiny protocol with a keepalive: "\x01ping" and "\x01pong". */
const tinyAlive: Protocol<string> = {
  ...tiny,
  keepalive: {
    ping: "\x01ping",
    pong: "\x01pong",
    kind: (m) => (m === "\x01ping" ? "ping" : m === "\x01pong" ? "pong" : undefined),
  },
};

const cleanup: Array<() => void> = [];
afterEach(() => {
  for (const fn of cleanup.splice(0)) fn();
});

function closed<M>(conn: Connection<M>): Promise<TaurusError | undefined> {
  return new Promise((resolve) => conn.once("close", resolve));
}

/** A TCP pair on 127.0.0.1: `client` connects, `accepted` is the server side. */

describe("deadlines", () => {
  it("closes a peer that drips a frame slower than frameTimeout with FRAME_TIMEOUT", async () => {
    const [a, b] = createSocketPair();
    const conn = new Connection(b, tiny, { frameTimeout: 120 });
    cleanup.push(() => conn.destroy());
    const frame = tiny.encode("x".repeat(200));
    let at = 0;
    // One byte every 10 ms: steady bytes, but the frame needs 2 s.
    const drip = setInterval(() => {
      if (at < frame.length) a.write(frame.subarray(at, ++at));
    }, 10);
    cleanup.push(() => clearInterval(drip));
    expect((await closed(conn))?.code).toBe("FRAME_TIMEOUT");
    expect(at).toBeLessThan(frame.length);
  });

  it("does not hold a frame deadline against a peer while its whole frames keep coming", async () => {
    const [a, b] = createSocketPair();
    const conn = new Connection(b, tiny, { frameTimeout: 500 });
    cleanup.push(() => conn.destroy());
    let got = 0;
    conn.on("message", () => got++);
    const frame = tiny.encode("y");
    // Each chunk ends a frame and starts the next: a partial frame is always buffered,
    // but each one completes well within the deadline.
    a.write(frame.subarray(0, 2));
    for (let i = 0; i < 20; i++) {
      await new Promise((r) => setTimeout(r, 15));
      a.write(Buffer.concat([frame.subarray(2), frame.subarray(0, 2)]));
    }
    await until(() => got === 20);
    expect(conn.state).toBe("open");
  });

  it("counts only inbound messages for the idle timeout: sending keeps nobody alive", async () => {
    const [a, b] = createSocketPair();
    const sender = new Connection(b, tiny, { idleTimeout: 80 });
    const other = new Connection(a, tiny);
    cleanup.push(() => {
      sender.destroy();
      other.destroy();
    });
    const timer = setInterval(() => sender.state === "open" && sender.send("out"), 10);
    cleanup.push(() => clearInterval(timer));
    expect((await closed(sender))?.code).toBe("IDLE_TIMEOUT");
    expect(other.stats.messagesIn).toBeGreaterThan(2);
  });

  it("does not count time the inbound limiter holds whole frames as idle", async () => {
    const [a, b] = createSocketPair();
    let allowedAt = performance.now() + 1000;
    const conn = new Connection(b, tiny, {
      idleTimeout: 300,
      inboundLimiter: { delay: () => Math.max(0, allowedAt - performance.now()), charge() {} },
    });
    cleanup.push(() => {
      conn.destroy();
      a.destroy();
    });
    const got: string[] = [];
    conn.on("message", (m) => got.push(m));
    a.write(tiny.encode("held"));
    await until(() => got.length === 1, { timeout: 5000 });
    expect(conn.state).toBe("open");
    allowedAt = 0;
    expect((await closed(conn))?.code).toBe("IDLE_TIMEOUT");
  });

  it("closes a peer that does not read with SLOW_CONSUMER after writeTimeout; a reader is kept", async () => {
    const stalled = await tcpPair(cleanup);
    const reading = await tcpPair(cleanup);
    stalled.client.pause();
    reading.client.resume(); // reads and discards
    const options = {
      writeTimeout: 1000,
      sendQueueBytes: 64 * 1024 * 1024,
      sendQueueSize: 100_000,
    };
    const slow = new Connection(stalled.accepted, tiny, options);
    const fast = new Connection(reading.accepted, tiny, options);
    cleanup.push(() => {
      slow.destroy();
      fast.destroy();
    });
    const payload = "p".repeat(1000);
    const timer = setInterval(() => {
      for (let i = 0; i < 200; i++) {
        if (slow.state === "open") slow.send(payload);
        if (fast.state === "open") fast.send(payload);
      }
    }, 10);
    cleanup.push(() => clearInterval(timer));
    const error = await closed(slow);
    expect(error?.code).toBe("SLOW_CONSUMER");
    expect(slow.stats.errors.buffer).toBe(1);
    // The reading peer keeps taking 200 messages every 10 ms: 10,000 more span 500 ms at least.
    const sent = fast.stats.messagesOut;
    await until(() => fast.stats.messagesOut >= sent + 10_000 || fast.state !== "open", {
      timeout: 20_000,
      what: "10,000 more messages to the reading peer",
    });
    expect(fast.state).toBe("open");
  });

  it("keeps one shared timer for any number of connections", () => {
    const before = sweeper.size;
    const timers = process.getActiveResourcesInfo().filter((t) => t === "Timeout").length;
    const conns = Array.from({ length: 50 }, () => {
      const [, b] = createSocketPair();
      return new Connection(b, tiny, { idleTimeout: 1000, handshakeTimeout: 500 });
    });
    expect(sweeper.size).toBe(before + 50);
    const after = process.getActiveResourcesInfo().filter((t) => t === "Timeout").length;
    expect(after - timers).toBeLessThanOrEqual(1);
    for (const c of conns) c.destroy();
    expect(sweeper.size).toBe(before);
  });
});

describe("inbound limiter", () => {
  it("keeps frames undecoded while the limiter asks to wait, then decodes them in order", async () => {
    const [a, b] = createSocketPair();
    let allowedAt = performance.now() + 150;
    const charged: number[] = [];
    const decoded: number[] = [];
    const limiter: InboundLimiter = {
      delay: () => Math.max(0, allowedAt - performance.now()),
      charge: (bytes) => charged.push(bytes),
    };
    const protocol: Protocol<string> = {
      ...tiny,
      decode: (buffer, start, end, max) => {
        decoded.push(start);
        return (tiny.decode as NonNullable<Protocol<string>["decode"]>)(buffer, start, end, max);
      },
    };
    const conn = new Connection(b, protocol, { inboundLimiter: limiter });
    cleanup.push(() => conn.destroy());
    const got: string[] = [];
    conn.on("message", (m) => got.push(m));
    a.write(Buffer.concat([tiny.encode("one"), tiny.encode("two")]));
    // The bytes have arrived and the limiter made the connection pause: nothing decoded yet.
    await until(() => conn.stats.bytesIn === 12 && conn.isPaused, { what: "the pause" });
    expect(decoded).toEqual([]);
    expect(conn.isPaused).toBe(true);
    await until(() => got.length === 2);
    expect(got).toEqual(["one", "two"]);
    expect(charged).toEqual([6, 6]);
    allowedAt = 0;
    expect(conn.isPaused).toBe(false);
    a.destroy();
  });
});

describe("backpressure on the connection's own queue", () => {
  it("answers 10,000 pipelined frames in one write with 10,000 replies", async () => {
    const { client, accepted } = await tcpPair(cleanup);
    const echo = new Connection(accepted, tiny, { pauseOnFullQueue: true });
    const errors: string[] = [];
    echo.on("message", (m) => {
      try {
        echo.send(m);
      } catch (err) {
        errors.push((err as TaurusError).code);
      }
    });
    const peer = new Connection(client, tiny, {
      sendQueueSize: 20_000,
      sendQueueBytes: 1 << 20,
    });
    cleanup.push(() => {
      echo.destroy();
      peer.destroy();
    });
    let replies = 0;
    let inOrder = true;
    peer.on("message", (m) => {
      if (m !== `r${replies}`) inOrder = false;
      replies++;
    });
    const all = Buffer.concat(Array.from({ length: 10_000 }, (_, i) => tiny.encode(`r${i}`)));
    client.write(all);
    await until(() => replies === 10_000, { timeout: 20_000 });
    expect(errors).toEqual([]);
    expect(inOrder).toBe(true);
    expect(echo.stats.errors.buffer).toBe(0);
  });
});

describe("keepalive", () => {
  it("answers a ping with a pong; neither is delivered; pings keep the receiver from idling", async () => {
    const [a, b] = createSocketPair();
    const server = new Connection(b, tinyAlive, { idleTimeout: 500 });
    const client = new Connection(a, tinyAlive);
    cleanup.push(() => {
      server.destroy();
      client.destroy();
    });
    const delivered: string[] = [];
    server.on("message", (m) => delivered.push(m));
    client.on("message", (m) => delivered.push(m));
    const timer = setInterval(() => client.state === "open" && client.send("\x01ping"), 50);
    cleanup.push(() => clearInterval(timer));
    // 24 pings 50 ms apart span at least 1,150 ms: over two idle timeouts.
    await until(() => server.stats.keepalivesIn >= 24 || server.state !== "open", {
      timeout: 20_000,
      what: "24 pings",
    });
    expect(server.state).toBe("open");
    expect(delivered).toEqual([]);
    expect(server.stats.keepalivesIn).toBeGreaterThan(3);
    expect(server.stats.messagesIn).toBe(0);
    await until(() => client.stats.keepalivesIn > 3);
  });
});

describe("farewell", () => {
  it("writes the farewell frame before the close; the peer reads why", async () => {
    const { client, accepted } = await tcpPair(cleanup);
    const conn = new Connection(accepted, tiny, {
      farewell: (error) => tiny.encode(`bye: ${error.code}`),
      idleTimeout: 50,
    });
    const peer = new Connection(client, tiny);
    cleanup.push(() => peer.destroy());
    const got: string[] = [];
    peer.on("message", (m) => got.push(m));
    expect((await closed(conn))?.code).toBe("IDLE_TIMEOUT");
    await closed(peer);
    expect(got).toEqual(["bye: IDLE_TIMEOUT"]);
    await until(() => lingeringSockets() === 0);
  });

  it("destroys a lingering socket whose peer never closes after the grace", async () => {
    const { client, accepted } = await tcpPair(cleanup);
    client.pause();
    const conn = new Connection(accepted, tiny, { farewell: () => tiny.encode("bye") });
    conn.destroy(new TaurusError("RATE_LIMITED", "test"));
    expect(lingeringSockets()).toBeGreaterThanOrEqual(1);
    await until(() => accepted.destroyed, { timeout: 3000 });
    await until(() => lingeringSockets() === 0);
  });
});

describe("memory budget", () => {
  it("closes the connection holding the most with MEMORY_BUDGET and gives its bytes back", async () => {
    const budget = new MemoryBudget(40_000);
    const big = createTinyProtocol(60_000);
    const [a1, b1] = createSocketPair();
    const [a2, b2] = createSocketPair();
    const small = new Connection(b1, big, { memoryBudget: budget });
    const greedy = new Connection(b2, big, { memoryBudget: budget });
    cleanup.push(() => {
      small.destroy();
      greedy.destroy();
    });
    expect(budget.connections).toBe(2);
    a1.write(big.encode("s".repeat(3000)).subarray(0, 1000));
    const frame = big.encode("g".repeat(50_000));
    const error = closed(greedy);
    for (let at = 0; at < frame.length - 1 && greedy.state === "open"; at += 5000) {
      a2.write(frame.subarray(at, Math.min(at + 5000, frame.length - 1)));
      await new Promise((r) => setImmediate(r));
      await new Promise((r) => setImmediate(r));
    }
    expect((await error)?.code).toBe("MEMORY_BUDGET");
    expect(small.state).toBe("open");
    expect(budget.evictions).toBe(1);
    expect(budget.used).toBe(small.heldBytes);
    small.destroy();
    expect(budget.used).toBe(0);
    expect(budget.connections).toBe(0);
  });

  it("counts accounts that hold nothing, and ignores a closed account's late updates", () => {
    const budget = new MemoryBudget(1000);
    const owner = { destroy: () => {} };
    const idle = budget.open(owner);
    const busy = budget.open(owner);
    expect(budget.connections).toBe(2);
    busy.set(300);
    expect(budget.used).toBe(300);
    budget.release(busy);
    expect(budget.used).toBe(0);
    expect(budget.connections).toBe(1);
    busy.set(200); // a late update after the close: not accounted
    budget.release(busy);
    expect(budget.used).toBe(0);
    expect(budget.connections).toBe(1);
    budget.release(idle);
    expect(budget.connections).toBe(0);
  });

  it("accounts frames as they are queued, before their flush, and closes on them", async () => {
    const budget = new MemoryBudget(10_000);
    const tiny = createTinyProtocol(8_000);
    const [, b1] = createSocketPair();
    const [, b2] = createSocketPair();
    const quiet = new Connection(b1, tiny, { memoryBudget: budget });
    const sender = new Connection(b2, tiny, { memoryBudget: budget });
    cleanup.push(() => {
      quiet.destroy();
      sender.destroy();
    });
    const frame = tiny.encode("q".repeat(3000));
    sender.sendEncoded(frame);
    expect(budget.used).toBe(frame.length);
    // Flushed at the end of the tick: accounted again as what the socket's buffer holds.
    await new Promise((r) => setImmediate(r));
    expect(budget.used).toBe(sender.heldBytes);
    const error = closed(sender);
    while (sender.state === "open") sender.sendEncoded(frame);
    // Closed within the tick, on the frame that took the total over the limit.
    expect(sender.queuedMessages).toBe(0);
    expect((await error)?.code).toBe("MEMORY_BUDGET");
    expect(quiet.state).toBe("open");
    expect(budget.used).toBe(0);
    expect(budget.evictions).toBe(1);
  });

  it("with update, keeps a holder that came down to nothing out of the largest", () => {
    const budget = new MemoryBudget(1000);
    const destroyed: string[] = [];
    const emptied = budget.open({ destroy: () => destroyed.push("emptied") });
    const greedy = budget.open({ destroy: () => destroyed.push("greedy") });
    budget.update(emptied, 600);
    budget.update(emptied, 0);
    expect(budget.used).toBe(0);
    budget.update(greedy, 1200);
    expect(destroyed).toEqual(["greedy"]);
    expect(budget.used).toBe(0);
    budget.release(emptied);
    expect(budget.connections).toBe(0);
    expect(budget.used).toBe(0);
  });

  it("validates its limit, naming the option", () => {
    expect(() => new MemoryBudget(0)).toThrow(
      expect.objectContaining({
        code: "INVALID_OPTION",
        message: expect.stringContaining("memoryBudget"),
      }),
    );
  });
});
