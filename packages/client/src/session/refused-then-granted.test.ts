// What a connection without a session (the server refused it) leaves in the offline queue
// is sent first, in order, on the next connection once a session is granted there.
import net from "node:net";
import { CONTROL_KIND } from "@taurus/core-conn";
import type { BinaryMessage } from "@taurus/protocol-binary";
import { createServer } from "@taurus/server";
import { afterEach, describe, expect, it } from "vitest";
import {
  binary,
  binaryData,
  onCleanup,
  runCleanups,
  sessionClient,
  startRawServer,
  until,
} from "../fixtures/harness";

afterEach(runCleanups);

const SIZE = 256 * 1024;

/**
 * A Taurus session server behind a gate: the gate's first connection is refused a session
 * and then never read (`first` gets its socket); later connections reach the server.
 */
async function setUp() {
  const atServer: number[] = [];
  const server = createServer<BinaryMessage>({
    protocol: binary,
    sessions: true,
    maxMessageSize: 2 * SIZE,
    rateLimit: Number.POSITIVE_INFINITY,
    inboundBytesPerSecond: Number.POSITIVE_INFINITY,
    handler: { onMessage: (m) => void atServer.push(m.sequence) },
  });
  const { port: target } = await server.listen(0, "127.0.0.1");
  onCleanup(() => server.close());
  // The first connection is refused a session, then never read; later ones reach the server.
  const gate: { first?: net.Socket } = {};
  const port = await startRawServer((socket) => {
    if (gate.first === undefined) {
      gate.first = socket;
      socket.once("data", () => {
        const refuse = binary.control?.encode(CONTROL_KIND.refuse, { reason: "limit" });
        socket.write(binary.encode(refuse as BinaryMessage));
        socket.pause();
      });
      return;
    }
    const upstream = net.connect({ host: "127.0.0.1", port: target });
    upstream.on("error", () => socket.destroy());
    upstream.on("close", () => socket.destroy());
    socket.on("close", () => upstream.destroy());
    socket.pipe(upstream);
    upstream.pipe(socket);
  });
  const client = sessionClient(port, {
    // The retransmit buffer holds the whole run, as the send queue does.
    session: { maxBufferedMessages: 256, maxBufferedBytes: 1 << 30 },
    maxMessageSize: 2 * SIZE,
    sendBufferSize: 256,
    sendBufferBytes: 1 << 30,
    keepaliveInterval: 0,
  });
  const events: string[] = [];
  client.on("sessionUnavailable", (reason) => events.push(`unavailable:${reason}`));
  client.on("session", (info) => events.push(info.resumed ? "resumed" : "new"));
  // What waits offline once the refused connection is gone (never handed to its socket).
  const offline: number[] = [];
  client.on("disconnect", () => offline.push(client.queuedMessages));
  return { atServer, client, gate, events, offline };
}

/** `from`, `from + 1`, ... up to `to`. */
const range = (from: number, to: number): number[] =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe("a session granted after a connection without one", () => {
  it("sends first, in order, what the refused connection never handed to its socket", async () => {
    const { atServer, client, gate, events, offline } = await setUp();
    await client.connect();
    expect(events).toEqual(["unavailable:refused"]);
    // Far more than the sockets' buffers hold: most stay in the connection's send queue.
    const N = 100;
    for (let n = 1; n <= N; n++) client.send(binaryData(n, SIZE));
    await until(() => (client.connection?.queuedMessages ?? 0) < N, "some written out");
    gate.first?.resetAndDestroy();
    await until(() => offline.length === 1, "the refused connection broken");
    const waiting = offline[0] as number;
    expect(waiting).toBeGreaterThan(0);
    await until(() => events.length === 2, "a session granted");
    expect(events).toEqual(["unavailable:refused", "new"]);
    client.send(binaryData(N + 1, 4)); // a sentinel, sent last
    await until(() => atServer.includes(N + 1), "the sentinel at the server", 10_000);
    // Those written to the broken socket are gone (at most once); the rest arrive, in order.
    expect(atServer).toEqual(range(N - waiting + 1, N + 1));
    expect(client.stats.discarded).toBe(0);
  }, 20_000);

  it("counts once what is accepted while the refused connection closes, and sends it in order", async () => {
    const { atServer, client, gate, events, offline } = await setUp();
    await client.connect();
    const N = 100;
    for (let n = 1; n <= N; n++) client.send(binaryData(n, SIZE));
    await until(() => (client.connection?.queuedMessages ?? 0) < N, "some written out");
    // The server ends its side: the client's graceful close waits on its full send queue.
    gate.first?.end();
    await until(() => client.connection?.state === "closing", "the connection closing");
    client.send(binaryData(N + 1, 4)); // accepted meanwhile: it waits offline
    gate.first?.resetAndDestroy();
    await until(() => offline.length === 1, "the refused connection broken");
    const waiting = offline[0] as number;
    await until(() => events.length === 2, "a session granted");
    expect(events).toEqual(["unavailable:refused", "new"]);
    client.send(binaryData(N + 2, 4)); // a sentinel, sent last
    await until(() => atServer.includes(N + 2), "the sentinel at the server", 10_000);
    // Those written to the broken socket are gone (at most once); the rest, message N + 1
    // among them, arrive once each, in order.
    expect(atServer).toEqual(range(N + 2 - waiting, N + 2));
  }, 20_000);
});
