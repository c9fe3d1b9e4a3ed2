import { once } from "node:events";
import type { Connection, TaurusError } from "@taurus/core-conn";
import type { BinaryMessage } from "@taurus/protocol-binary";
import { describe, expect, it } from "vitest";
import { reply } from "./reply";
import { binary, collect, connectRaw, msg, startServer, until } from "./test-helpers";

describe("server basics", () => {
  it("listens on port 0, echoes, and exposes its connections", async () => {
    const { server, port } = await startServer({
      handler: { onMessage: (m, conn) => void conn.send(m) },
    });
    expect(port).toBeGreaterThan(0);
    expect(server.address()?.port).toBe(port);
    const client = await connectRaw(port);
    const got = collect(client, 3);
    for (let i = 1; i <= 3; i++) client.send(msg(i, `hello ${i}`));
    expect((await got).map((m) => Buffer.from(m.data).toString())).toEqual([
      "hello 1",
      "hello 2",
      "hello 3",
    ]);
    expect(server.connectionCount).toBe(1);
    const [only] = [...server.connections()];
    expect(only).toBeDefined();
    expect(server.connection((only as Connection<BinaryMessage>).id)).toBe(only);
    expect(server.connection("nope")).toBeUndefined();
  });

  it("delivers one connection's messages in order to an async handler, without blocking others", async () => {
    const seen: Record<string, number[]> = {};
    let releaseSlow: () => void = () => {};
    const slowGate = new Promise<void>((r) => {
      releaseSlow = r;
    });
    const { port } = await startServer({
      handler: {
        async onMessage(m, conn) {
          const text = Buffer.from(m.data).toString();
          seen[text] = [...(seen[text] ?? []), m.sequence];
          if (text === "slow" && m.sequence === 1) await slowGate;
          await new Promise((r) => setTimeout(r, Math.random() * 3));
          conn.send(m);
        },
      },
    });
    const slow = await connectRaw(port);
    const fast = await connectRaw(port);
    const fastGot = collect(fast, 50);
    for (let i = 1; i <= 20; i++) slow.send(msg(i, "slow"));
    for (let i = 1; i <= 50; i++) fast.send(msg(i, "fast"));
    // The fast connection is served completely while the slow one is stuck on its first message.
    expect((await fastGot).map((m) => m.sequence)).toEqual(
      Array.from({ length: 50 }, (_, i) => i + 1),
    );
    expect(seen.slow).toEqual([1]);
    const slowGot = collect(slow, 20);
    releaseSlow();
    expect((await slowGot).map((m) => m.sequence)).toEqual(
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    expect(seen.slow).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  it("reports a throwing or rejecting handler to onError and keeps serving", async () => {
    const errors: string[] = [];
    const { server, port } = await startServer({
      handler: {
        onMessage(m, conn) {
          if (m.sequence === 1) throw new Error("sync boom");
          if (m.sequence === 2) return Promise.reject(new Error("async boom"));
          conn.send(m);
        },
        onError: (e) => errors.push(e.code),
      },
    });
    const client = await connectRaw(port);
    const got = collect(client, 1);
    client.send(msg(1));
    client.send(msg(2));
    client.send(msg(3));
    expect((await got)[0]?.sequence).toBe(3);
    expect(errors).toEqual(["HANDLER_FAILED", "HANDLER_FAILED"]);
    expect(server.metrics.snapshot().errors_by_code.HANDLER_FAILED).toBe(2);
  });

  it("counts and reports an onClose that throws, like any handler", async () => {
    const codes: string[] = [];
    const { server, port } = await startServer({
      handler: {
        onClose: () => {
          throw new Error("boom");
        },
        onError: (e) => codes.push(e.code),
      },
    });
    const client = await connectRaw(port);
    await until(() => server.connectionCount === 1);
    client.destroy();
    await until(() => codes.length === 1);
    expect(codes).toEqual(["HANDLER_FAILED"]);
    expect(server.metrics.snapshot().errors_by_code.HANDLER_FAILED).toBe(1);
  });

  it("calls onConnect before any message and onClose with the closing error", async () => {
    const events: string[] = [];
    let connected: () => void = () => {};
    const connecting = new Promise<void>((r) => {
      connected = r;
    });
    const { port } = await startServer({
      handler: {
        async onConnect() {
          events.push("connect:start");
          await connecting; // until the client's message is on its way, not a guessed sleep
          events.push("connect:end");
        },
        onMessage: () => void events.push("message"),
        onClose: (err) => events.push(`close:${err?.code ?? "clean"}`),
      },
    });
    const client = await connectRaw(port);
    client.send(msg(1));
    await until(() => events.includes("connect:start") && client.stats.messagesOut === 1);
    connected();
    await until(() => events.includes("message"));
    client.destroy();
    await until(() => events.some((e) => e.startsWith("close")));
    expect(events).toEqual(["connect:start", "connect:end", "message", "close:clean"]);
  });

  it("reports dropped bytes by code, counts them, and keeps the connection", async () => {
    const codes: string[] = [];
    const { server, port } = await startServer({
      maxMessageSize: 64,
      handler: {
        onMessage: (m, c) => void c.send(m),
        onError: (e: TaurusError) => codes.push(e.code),
      },
    });
    const client = await connectRaw(port);
    const got = collect(client, 1);
    client.socket.write(Buffer.from("garbage!"));
    const bad = Buffer.from(binary.encode(msg(9, "x")));
    bad[bad.length - 1] = (bad[bad.length - 1] as number) ^ 0xff;
    client.socket.write(bad);
    client.socket.write(binary.encode(msg(10, "y".repeat(100))));
    client.send(msg(11, "fine"));
    expect((await got)[0]?.sequence).toBe(11);
    expect(codes).toEqual(["INVALID_FORMAT", "CHECKSUM", "MESSAGE_TOO_LARGE"]);
    const snap = server.metrics.snapshot();
    expect(snap.errors_by_kind.protocol).toBe(3);
    expect(snap.messages_received).toBe(1);
  });

  it("matches a reply to its request by sequence", async () => {
    const { port } = await startServer({
      handler: {
        onMessage: (m, conn) =>
          void reply(conn, m, { ...m, sequence: 0, data: Buffer.from("pong") }),
      },
    });
    const client = await connectRaw(port);
    const got = collect(client, 1);
    client.send(msg(4242, "ping"));
    const [answer] = await got;
    expect(answer?.sequence).toBe(4242);
    expect(Buffer.from(answer?.data ?? []).toString()).toBe("pong");
  });

  it("counts connections, messages and bytes in its metrics snapshot", async () => {
    const { server, port } = await startServer({
      handler: { onMessage: (m, c) => void c.send(m) },
    });
    const client = await connectRaw(port);
    const got = collect(client, 2);
    client.send(msg(1, "ab"));
    client.send(msg(2, "cd"));
    await got;
    const snap = server.metrics.snapshot();
    expect(snap.total_connections).toBe(1);
    expect(snap.current_connections).toBe(1);
    expect(snap.messages_received).toBe(2);
    expect(snap.messages_sent).toBe(2);
    expect(snap.bytes_received).toBe(2 * 21);
    expect(snap.bytes_sent).toBe(2 * 21);
    expect(snap.send_queue_depth).toBe(0); // both replies left the queue
    expect(snap.handler_latency.count).toBe(1); // sync handlers are sampled: the 1st, 9th, 17th... call
    client.destroy();
    await until(() => server.connectionCount === 0);
    expect(server.metrics.snapshot().current_connections).toBe(0);
  });

  it("refuses a second listen and validates options by name", async () => {
    const { server } = await startServer();
    await expect(server.listen(0)).rejects.toMatchObject({ code: "CONNECTION_CLOSED" });
    const { createServer } = await import("./server");
    const { binary } = await import("./test-helpers");
    expect(() => createServer({ protocol: binary, maxConnections: 0 })).toThrow(
      expect.objectContaining({
        code: "INVALID_OPTION",
        message: expect.stringContaining("maxConnections"),
      }),
    );
    expect(() => createServer({ protocol: binary, rateLimitPolicy: "nap" as "pause" })).toThrow(
      expect.objectContaining({ code: "INVALID_OPTION" }),
    );
    expect(() => createServer({ protocol: binary, maxMessageSize: 11 * 1024 * 1024 })).toThrow(
      expect.objectContaining({ code: "INVALID_OPTION" }),
    );
  });

  it("rejects listen on a port in use with SOCKET", async () => {
    const { port } = await startServer();
    const { createServer } = await import("./server");
    const { binary } = await import("./test-helpers");
    const other = createServer({ protocol: binary });
    await expect(other.listen(port, "127.0.0.1")).rejects.toMatchObject({ code: "SOCKET" });
    await other.close();
  });

  it("emits connection events", async () => {
    const { server, port } = await startServer();
    const accepted = once(server, "connection");
    await connectRaw(port);
    const [conn] = await accepted;
    expect((conn as Connection<BinaryMessage>).remoteAddress).toBe("127.0.0.1");
  });
});
