import net from "node:net";
import { Connection } from "@taurus/core-conn";
import type { BinaryMessage } from "@taurus/protocol-binary";
import { describe, expect, it } from "vitest";
import { createServer } from "./server";
import { binary, connectRaw, msg, onCleanup, until } from "./test-helpers";

describe("graceful shutdown", () => {
  it("under load: every message sent by either side before close() began arrives", async () => {
    let handled = 0;
    let replied = 0;
    let refused = 0;
    const server = createServer({
      protocol: binary,
      rateLimit: Infinity,
      handler: {
        async onMessage(m, conn) {
          handled++;
          if (m.sequence % 7 === 0) await new Promise((r) => setTimeout(r, 1));
          conn.send(m); // refused with CONNECTION_CLOSED once the server has ended its side
          replied++;
        },
        onError: (e) => void (e.code === "HANDLER_FAILED" && refused++),
      },
    });
    const { port } = await server.listen(0, "127.0.0.1");
    const clients = await Promise.all(Array.from({ length: 10 }, () => connectRaw(port)));
    await until(() => server.connectionCount === 10);
    const received = clients.map(() => 0);
    for (const [i, c] of clients.entries()) c.on("message", () => void received[i]!++);
    const perClient = 300;
    for (const c of clients) for (let i = 1; i <= perClient; i++) c.send(msg(i, "load"));
    // Wait until the server has started handling, then shut down mid-stream.
    await until(() => handled > 100);
    const report = await server.close();
    expect(report.forced).toBe(0);
    expect(report.closed).toBe(10);
    // Every message the clients sent was handled, even those that arrived after close() began.
    expect(handled).toBe(10 * perClient);
    expect(replied + refused).toBe(10 * perClient);
    await until(() => clients.every((c) => c.state === "closed"));
    // Every reply the server's send() accepted reached its client.
    expect(received.reduce((a, b) => a + b, 0)).toBe(replied);
    expect(replied).toBeGreaterThan(0);
    expect(server.connectionCount).toBe(0);
  });

  it("destroys what is left after shutdownTimeout and says so", async () => {
    let handling = 0;
    const server = createServer({
      protocol: binary,
      shutdownTimeout: 100,
      handler: {
        onMessage: () => {
          handling++;
          return new Promise<void>(() => {}); // never settles
        },
      },
    });
    const { port } = await server.listen(0, "127.0.0.1");
    const client = await connectRaw(port);
    client.send(msg(1));
    await until(() => server.connectionCount === 1);
    await until(() => handling === 1, { what: "the handler to be running" });
    const report = await server.close();
    expect(report).toEqual({
      closed: 0,
      forced: 1,
      discarded: [
        {
          id: expect.any(String),
          remoteAddress: "127.0.0.1",
          remotePort: client.localPort,
          messages: 0,
          bytes: 0,
        },
      ],
    });
    expect(server.connectionCount).toBe(0);
  });

  it("stops accepting as soon as close() begins, and close() is idempotent", async () => {
    const server = createServer({ protocol: binary });
    const { port } = await server.listen(0, "127.0.0.1");
    const first = server.close();
    expect(server.close()).toBe(first);
    await first;
    const socket = net.connect({ host: "127.0.0.1", port });
    onCleanup(() => socket.destroy());
    const outcome = await new Promise<string>((resolve) => {
      socket.once("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? "error"));
      socket.once("connect", () => resolve("connected"));
    });
    expect(outcome).toBe("ECONNREFUSED");
  });

  it("finishes a connection's handler in flight when its peer half-closes, then replies and ends", async () => {
    let inFlight = false;
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const server = createServer({
      protocol: binary,
      handler: {
        async onMessage(m, conn) {
          // Held until the peer has half-closed: the handler is surely in flight then.
          inFlight = true;
          await gate;
          conn.send(m);
        },
      },
    });
    const { port } = await server.listen(0, "127.0.0.1");
    onCleanup(() => server.close());
    const socket = net.connect({ host: "127.0.0.1", port, allowHalfOpen: true });
    const conn = new Connection<BinaryMessage>(socket, binary);
    onCleanup(() => conn.destroy());
    const replies: number[] = [];
    conn.on("message", (m) => replies.push(m.sequence));
    conn.send(msg(1));
    conn.send(msg(2));
    await until(() => inFlight, { what: "the first handler" });
    const ended = conn.close(); // half-close; the replies must still come back
    await until(() => socket.writableFinished, { what: "the half-close" });
    release();
    await ended;
    expect(replies).toEqual([1, 2]);
  });
});
