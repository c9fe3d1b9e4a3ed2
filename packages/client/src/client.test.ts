import { reply } from "@taurus/server";
import { afterEach, describe, expect, it } from "vitest";
import { createClient, type TaurusClient } from "./client";
import type { ClientConfig } from "./client-types";
import {
  onCleanup,
  rejection,
  runCleanups,
  seq,
  startRawServer,
  startServer,
  text,
  until,
} from "./fixtures/harness";
import { type SeqMessage, seqHeader } from "./fixtures/seq-protocol";

afterEach(runCleanups);

function client(port: number, options: Partial<ClientConfig<SeqMessage>> = {}) {
  const c: TaurusClient<SeqMessage> = createClient<SeqMessage>({
    address: `127.0.0.1:${port}`,
    protocol: seq,
    retryDelay: 10,
    maxRetryDelay: 50,
    ...options,
  });
  onCleanup(() => c.close());
  return c;
}

const msg = (text: string, sequence = 0): SeqMessage => ({ sequence, text });

describe("TaurusClient", () => {
  it("connects, sends, and close() flushes everything accepted", async () => {
    const srv = await startServer();
    const c = client(srv.port);
    const states: string[] = [];
    c.on("state", (s) => states.push(s));
    await c.connect();
    expect(c.state).toBe("connected");
    for (let i = 0; i < 1000; i++) c.send(msg(`m${i}`));
    await c.close();
    expect(c.state).toBe("closed");
    await until(() => srv.received.length === 1000, "all messages");
    expect(srv.received.map(text)).toEqual(Array.from({ length: 1000 }, (_, i) => `m${i}`));
    expect(states).toEqual(["connecting", "connected", "closed"]);
    expect(() => c.send(msg("late"))).toThrow(
      expect.objectContaining({ code: "CONNECTION_CLOSED" }),
    );
    expect(c.stats).toMatchObject({ messagesSent: 1000, state: "closed", reconnects: 0 });
  });

  it("accepts { host, port } and delivers messages to the handler, events and iterators in order", async () => {
    const srv = await startServer({
      handler: { onMessage: (m, conn) => void conn.send(m) },
    });
    const viaHandler: string[] = [];
    const c = createClient<SeqMessage>({
      address: { host: "127.0.0.1", port: srv.port },
      protocol: seq,
      handler: { onMessage: (m) => void viaHandler.push(m.text) },
    });
    onCleanup(() => c.close());
    const viaEvent: string[] = [];
    c.on("message", (m) => viaEvent.push(m.text));
    await c.connect();
    const iterated: string[] = [];
    const done = (async () => {
      for await (const m of c) iterated.push(m.text);
    })();
    for (let i = 0; i < 100; i++) c.send(msg(`e${i}`));
    await until(() => iterated.length === 100, "100 echoes");
    await c.close();
    await done; // the iterator ends when the client closes
    const expected = Array.from({ length: 100 }, (_, i) => `e${i}`);
    expect(iterated).toEqual(expected);
    expect(viaHandler).toEqual(expected);
    expect(viaEvent).toEqual(expected);
  });

  it("pauses the connection while an iterator is full and resumes once drained", async () => {
    const srv = await startServer();
    const c = client(srv.port, { iteratorHighWaterMark: 10 });
    await c.connect();
    const iterator = c[Symbol.asyncIterator]();
    await until(() => srv.conns.length === 1, "server connection");
    const conn = srv.conns[0];
    for (let i = 0; i < 50; i++) conn?.send(msg(`p${i}`));
    await until(() => c.connection?.isPaused === true, "pause");
    const got: string[] = [];
    for (let i = 0; i < 50; i++) {
      const r = await iterator.next();
      got.push((r.value as SeqMessage).text);
    }
    expect(got).toEqual(Array.from({ length: 50 }, (_, i) => `p${i}`));
    expect(c.connection?.isPaused).toBe(false);
    await iterator.return?.();
  });

  it("resolves a request with the reply carrying its sequence, which the handler never sees", async () => {
    const srv = await startServer({
      handler: {
        onMessage: (m, conn) => void reply(conn, m, { sequence: 0, text: `re:${m.text}` }),
      },
    });
    const seen: string[] = [];
    const c = client(srv.port, { handler: { onMessage: (m) => void seen.push(m.text) } });
    await c.connect();
    const replies = await Promise.all([
      c.request(msg("a")),
      c.request(msg("b")),
      c.request(msg("c")),
    ]);
    expect(replies.map(text)).toEqual(["re:a", "re:b", "re:c"]);
    expect(new Set(replies.map((r) => r.sequence)).size).toBe(3);
    expect(replies.every((r) => r.sequence > 0)).toBe(true);
    expect(seen).toEqual([]);
    expect(c.pendingRequests).toBe(0);
  });

  it("uses a custom correlation", async () => {
    const srv = await startServer({
      handler: {
        onMessage: (m, conn) =>
          void conn.send({ sequence: 0, text: `${m.text.split("#")[0]}#reply` }),
      },
    });
    const c = client(srv.port, {
      correlation: {
        get: (m) => (m.text.includes("#") ? Number(m.text.split("#")[0]) : undefined),
        set: (m, s) => ({ ...m, text: `${s}#${m.text}` }),
      },
    });
    await c.connect();
    expect((await c.request(msg("q"))).text).toMatch(/^\d+#reply$/);
  });

  it("rejects requests on timeout, abort and disconnect with their codes", async () => {
    const srv = await startServer(); // never replies
    const c = client(srv.port, { maxRetries: 0 });
    await c.connect();
    const timedOut = await rejection(c.request(msg("t"), { timeout: 20 }));
    expect(timedOut.code).toBe("REQUEST_TIMEOUT");
    const controller = new AbortController();
    const aborted = c.request(msg("a"), { signal: controller.signal });
    controller.abort(new Error("changed my mind"));
    const abortError = await rejection(aborted);
    expect(abortError.code).toBe("ABORTED");
    expect((abortError.cause as Error).message).toBe("changed my mind");
    expect((await rejection(c.request(msg("x"), { signal: AbortSignal.abort() }))).code).toBe(
      "ABORTED",
    );
    const pending = c.request(msg("d"));
    await until(() => srv.received.length === 3, "request on server");
    for (const conn of srv.conns) conn.destroy();
    expect((await rejection(pending)).code).toBe("CONNECTION_CLOSED");
    expect(c.pendingRequests).toBe(0);
  });

  it("bounds the pending requests with TOO_MANY_PENDING", async () => {
    const srv = await startServer();
    const c = client(srv.port, { maxPendingRequests: 2 });
    await c.connect();
    const a = c.request(msg("1"));
    const b = c.request(msg("2"));
    expect((await rejection(c.request(msg("3")))).code).toBe("TOO_MANY_PENDING");
    await c.close();
    expect((await rejection(a)).code).toBe("CONNECTION_CLOSED");
    expect((await rejection(b)).code).toBe("CONNECTION_CLOSED");
  });

  it("queues offline until its bounds, then throws SEND_QUEUE_FULL; bad messages throw at once", () => {
    const c = client(1, { sendBufferSize: 3 });
    c.send(msg("1"));
    c.send(msg("2"));
    c.send(msg("3"));
    expect(() => c.send(msg("4"))).toThrow(expect.objectContaining({ code: "SEND_QUEUE_FULL" }));
    expect(() => c.send({ sequence: -1, text: "x" })).toThrow(
      expect.objectContaining({ code: "INVALID_MESSAGE" }),
    );
    expect(c.queuedMessages).toBe(3);
    const bytes = client(1, { sendBufferBytes: 20 });
    bytes.send(msg("0123456789")); // 17 bytes
    expect(() => bytes.send(msg("x"))).toThrow(
      expect.objectContaining({ code: "SEND_QUEUE_FULL" }),
    );
    expect(c.stats.errors.buffer).toBe(1);
    expect(c.stats.errorsByKind).toEqual(c.stats.errors); // the deprecated name, the same record
  });

  it("refuses a message over maxMessageSize", () => {
    const c = client(1, { maxMessageSize: 16 });
    expect(() => c.send(msg("x".repeat(20)))).toThrow(
      expect.objectContaining({ code: "MESSAGE_TOO_LARGE" }),
    );
  });

  it("counts garbage and oversized frames as drops and stays connected", async () => {
    const port = await startRawServer((socket) => {
      socket.write(Buffer.from([1, 2, 3, 4, 5])); // garbage
      socket.write(Buffer.concat([seqHeader(0, 200), Buffer.alloc(200, 0x41)])); // over the 64-byte limit
      socket.write(seq.encode(msg("fine")));
    });
    const errors: string[] = [];
    const got: string[] = [];
    const c = client(port, {
      maxMessageSize: 64,
      handler: { onError: (e) => void errors.push(e.code) },
    });
    c.on("message", (m) => got.push(m.text));
    await c.connect();
    await until(() => got.length === 1, "the good message");
    expect(got).toEqual(["fine"]);
    expect(errors).toEqual(["INVALID_FORMAT", "MESSAGE_TOO_LARGE"]);
    expect(c.state).toBe("connected");
    expect(c.stats.drops).toMatchObject({ invalid_format: 1, too_large: 1 });
    expect(c.stats.errors.protocol).toBe(2);
    expect(c.stats.messagesReceived).toBe(1);
  });

  it("reports handler failures as HANDLER_FAILED and carries on", async () => {
    const srv = await startServer({ handler: { onMessage: (m, conn) => void conn.send(m) } });
    const errors: string[] = [];
    const c = client(srv.port, {
      handler: {
        onMessage: () => {
          throw new Error("boom");
        },
      },
    });
    c.on("error", (e) => errors.push(e.code));
    await c.connect();
    c.send(msg("1"));
    c.send(msg("2"));
    await until(() => errors.length === 2, "two failures");
    expect(errors).toEqual(["HANDLER_FAILED", "HANDLER_FAILED"]);
    expect(c.state).toBe("connected");
  });

  it("validates options, naming the option, without mutating the caller's object", () => {
    const options = { address: "127.0.0.1:1", protocol: seq, retryDelay: 5 };
    const frozen = Object.freeze({ ...options });
    createClient(frozen);
    const bad: Array<[Record<string, unknown>, string]> = [
      [{ address: "nope" }, "address"],
      [{ address: "127.0.0.1:70000" }, "address"],
      [{ connectTimeout: 0 }, "connectTimeout"],
      [{ maxRetries: -1 }, "maxRetries"],
      [{ maxRetries: 1.5 }, "maxRetries"],
      [{ sendBufferSize: 0 }, "sendBufferSize"],
      [{ maxMessageSize: 5000 }, "maxMessageSize"],
      [{ heartbeat: { interval: 0, timeout: 10, message: () => msg("") } }, "heartbeat.interval"],
      [{ heartbeat: { interval: 10, message: () => msg("") } }, "heartbeat.timeout"],
      [{ correlation: {} }, "correlation"],
    ];
    for (const [patch, name] of bad) {
      expect(() => createClient({ ...options, ...patch } as never)).toThrow(
        expect.objectContaining({ code: "INVALID_OPTION", message: expect.stringContaining(name) }),
      );
    }
    expect(createClient({ ...options, maxRetries: Number.POSITIVE_INFINITY }).state).toBe("idle");
  });
});
