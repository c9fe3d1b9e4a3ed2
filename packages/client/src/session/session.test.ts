import net from "node:net";
import { restartablePort } from "@taurus/adapter-redis/testing";
import type { Connection } from "@taurus/core-conn";
import { startCutProxy } from "@taurus/core-conn/testing";
import type { BinaryMessage } from "@taurus/protocol-binary";
import { createServer } from "@taurus/server";
import { afterEach, describe, expect, it } from "vitest";
import { createClient } from "../client";
import {
  binary,
  binaryData,
  onCleanup,
  runCleanups,
  sessionClient,
  until,
} from "../fixtures/harness";

afterEach(runCleanups);

const data = (n: number): BinaryMessage => binaryData(n, 8);

describe("sessions across cut connections", () => {
  it("deliver every message exactly once and in order, both ways, through repeated cuts", async () => {
    const N = 3000;
    const atServer: number[] = [];
    let current: Connection<BinaryMessage> | undefined;
    const server = createServer<BinaryMessage>({
      protocol: binary,
      // Under load a reconnect can take a while, and this loop sends on regardless:
      // the buffers hold the whole run, so a slow machine never overflows them.
      sessions: { maxBufferedMessages: 2 * N },
      perAddress: false,
      rateLimit: Number.POSITIVE_INFINITY,
      handler: {
        onMessage(message) {
          atServer.push(message.sequence);
        },
      },
    });
    server.on("sessionStarted", (_info, conn) => {
      current = conn;
    });
    server.on("sessionResumed", (_info, conn) => {
      current = conn;
    });
    const { port } = await server.listen(0, "127.0.0.1");
    onCleanup(() => server.close());
    const proxy = await startCutProxy(port);
    onCleanup(() => proxy.close());
    const atClient: number[] = [];
    const lost: unknown[] = [];
    const client = createClient<BinaryMessage>({
      address: { host: "127.0.0.1", port: proxy.port },
      protocol: binary,
      session: { maxBufferedMessages: 2 * N },
      // The loop sends on while disconnected too: the offline queue holds the whole run.
      sendBufferSize: 2 * N,
      retryDelay: 10,
      maxRetryDelay: 50,
      maxRetries: 1_000_000,
      handler: { onMessage: (m) => void atClient.push(m.sequence) },
    });
    client.on("sessionLost", (info) => lost.push(info));
    onCleanup(() => client.close());
    await client.connect();
    await until(() => current !== undefined, "session started");
    let sentByServer = 0;
    let sentByClient = 0;
    let cuts = 0;
    while (sentByServer < N || sentByClient < N) {
      for (let i = 0; i < 50 && sentByClient < N; i++) client.send(data(sentByClient++));
      for (let i = 0; i < 50 && sentByServer < N; i++) {
        (current as Connection<BinaryMessage>).send(data(sentByServer++));
      }
      if (sentByClient % 100 === 0 && cuts < 30) {
        // Cut a live connection (on a loaded machine a reconnect can take a while).
        await until(() => client.state === "connected", "connected before a cut");
        cuts += proxy.cut() > 0 ? 1 : 0;
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await until(() => atServer.length >= N && atClient.length >= N, "all delivered", 20_000);
    const expected = Array.from({ length: N }, (_, i) => i);
    expect(lost).toEqual([]);
    expect(cuts).toBeGreaterThanOrEqual(20);
    expect(atServer).toEqual(expected);
    expect(atClient).toEqual(expected);
  }, 30_000);

  it("reports sessionLost on both sides: the server after the resume window, the client when the server forgot it", async () => {
    const serverLost: unknown[] = [];
    const atFirst: number[] = [];
    const atSecond: number[] = [];
    const first = createServer<BinaryMessage>({
      protocol: binary,
      // No acknowledgement reaches the client before the server goes.
      sessions: { resumeWindow: 50, ackEvery: 1000, ackInterval: 60_000 },
      rateLimit: Number.POSITIVE_INFINITY,
      handler: { onMessage: (m) => void atFirst.push(m.sequence) },
    });
    first.on("sessionLost", (info) => serverLost.push(info));
    // Below the ephemeral range: an outgoing connection cannot take it while no server is there.
    const { port } = await first.listen(await restartablePort(), "127.0.0.1");
    onCleanup(() => first.close());
    let conn: Connection<BinaryMessage> | undefined;
    first.on("sessionStarted", (_i, c) => {
      conn = c;
    });
    const clientLost: Array<{ reason: string; unacknowledged: number }> = [];
    const client = sessionClient(port, { maxRetryDelay: 20 });
    client.on("sessionLost", (info) => clientLost.push(info));
    await client.connect();
    await until(() => conn !== undefined, "session");
    // The server sends 3 messages, then stops: its in-memory sessions die with it.
    for (let i = 0; i < 3; i++) conn?.send(data(i));
    // The client's message 5 reaches the first server, which never acknowledges it.
    client.send(data(5));
    await until(() => atFirst.length === 1, "message 5 processed");
    await first.close();
    await until(() => serverLost.length === 1, "server sessionLost");
    expect(serverLost[0]).toMatchObject({ reason: "closed" });
    // A new server on the same port knows nothing of the session.
    const second = createServer<BinaryMessage>({
      protocol: binary,
      sessions: true,
      handler: { onMessage: (m) => void atSecond.push(m.sequence) },
    });
    await second.listen(port, "127.0.0.1");
    onCleanup(() => second.close());
    // Sent while no server was there: it never left the client, so the new session carries it.
    client.send(data(7));
    await until(() => clientLost.length === 1, "client sessionLost");
    expect(clientLost[0]).toMatchObject({ reason: "unknown", unacknowledged: 1 });
    client.send(data(8));
    await until(() => atSecond.length === 2, "messages 7 and 8 at the new server");
    // Message 5 may have been processed (it was): not sent again, at most once.
    expect(atSecond).toEqual([7, 8]);
    expect(atFirst).toEqual([5]);
  });

  it("expires a session whose client does not come back within the resume window, counting what was not acknowledged", async () => {
    const serverLost: unknown[] = [];
    const server = createServer<BinaryMessage>({
      protocol: binary,
      sessions: { resumeWindow: 50 },
      handler: {},
    });
    server.on("sessionLost", (info) => serverLost.push(info));
    const { port } = await server.listen(0, "127.0.0.1");
    onCleanup(() => server.close());
    let conn: Connection<BinaryMessage> | undefined;
    server.on("sessionStarted", (_i, c) => {
      conn = c;
    });
    const client = createClient<BinaryMessage>({
      address: { host: "127.0.0.1", port },
      protocol: binary,
      session: { ackInterval: 60_000 },
      handler: {},
    });
    let got = 0;
    client.on("message", () => got++);
    const clientLost: unknown[] = [];
    client.on("sessionLost", (info) => clientLost.push(info));
    await client.connect();
    await until(() => conn !== undefined, "session");
    for (let i = 0; i < 3; i++) conn?.send(data(i));
    await until(() => got === 3, "delivered");
    client.send(data(9));
    await client.close();
    // close() says what it ends: the session, with what the server never confirmed.
    expect(clientLost).toEqual([expect.objectContaining({ reason: "closed", received: 3 })]);
    await until(() => serverLost.length === 1, "server sessionLost");
    expect(serverLost[0]).toMatchObject({ reason: "expired", unacknowledged: 3 });
  });

  it("a session the server ends while its connection is up: what the client wrote there is never sent again", async () => {
    const atServer: number[] = [];
    const server = createServer<BinaryMessage>({
      protocol: binary,
      rateLimit: Number.POSITIVE_INFINITY,
      // A retransmit buffer of two, and no acknowledgement of the client's messages.
      sessions: { maxBufferedMessages: 2, ackEvery: 1000, ackInterval: 60_000 },
      handler: {
        onMessage: (m, conn) => {
          atServer.push(m.sequence);
          if (m.sequence !== 3) return;
          conn.send(data(100));
          conn.send(data(101)); // the buffer is full (the client does not acknowledge)...
          server.broadcast(data(102)); // ...so the broadcast ends the session ("overflow")
        },
      },
    });
    const { port } = await server.listen(0, "127.0.0.1");
    onCleanup(() => server.close());
    const slowAcks = { ackEvery: 1000, ackInterval: 60_000 };
    const client = sessionClient(port, { session: slowAcks });
    const lost: Array<{ reason: string; unacknowledged: number }> = [];
    const sessions: boolean[] = [];
    client.on("sessionLost", (info) => lost.push(info));
    client.on("session", (info) => sessions.push(info.resumed));
    await client.connect();
    for (const n of [1, 2, 3]) client.send(data(n));
    await until(() => lost.length === 1 && sessions.length === 2, "the loss, then a new session");
    // Told on the live connection; messages 1 to 3 were written there: given up, counted.
    expect(lost[0]).toMatchObject({ reason: "overflow", unacknowledged: 3 });
    expect(sessions).toEqual([false, false]);
    client.send(data(4));
    await until(() => atServer.includes(4), "message 4");
    expect(atServer).toEqual([1, 2, 3, 4]);
  });

  it("keeps no retransmit buffer on a connection without a session: sends past its bound all arrive", async () => {
    const got: number[] = [];
    const plain = createServer<BinaryMessage>({
      protocol: binary,
      rateLimit: Number.POSITIVE_INFINITY,
      handler: { onMessage: (m) => void got.push(m.sequence) },
    });
    const { port } = await plain.listen(0, "127.0.0.1");
    onCleanup(() => plain.close());
    const client = sessionClient(port, { session: { maxBufferedMessages: 4 } });
    await client.connect(); // refused: plain TCP from here on
    for (let i = 0; i < 20; i++) client.send(data(i));
    await until(() => got.length === 20, "twenty messages");
    expect(got).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it("carries on without a session, after one hello, with a server that refuses or says nothing", async () => {
    const plain = createServer<BinaryMessage>({ protocol: binary, handler: {} });
    const { port } = await plain.listen(0, "127.0.0.1");
    onCleanup(() => plain.close());
    const refused = sessionClient(port);
    const why: string[] = [];
    refused.on("sessionUnavailable", (reason) => why.push(reason));
    await refused.connect();
    expect(why).toEqual(["refused"]);

    // A Go-like server: reads everything, answers nothing.
    const frames: Buffer[] = [];
    const silent = net.createServer((socket) => socket.on("data", (chunk) => frames.push(chunk)));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    onCleanup(() => new Promise<void>((resolve) => silent.close(() => resolve())));
    const quiet = createClient<BinaryMessage>({
      address: { host: "127.0.0.1", port: (silent.address() as net.AddressInfo).port },
      protocol: binary,
      session: { helloTimeout: 100 },
      keepaliveInterval: 0,
      handler: {},
    });
    onCleanup(() => quiet.close());
    quiet.on("sessionUnavailable", (reason) => why.push(reason));
    quiet.send(data(1));
    // A request queued while the session is asked for is flagged for a session server:
    // the flag must not reach a server that has none.
    const connecting = quiet.connect();
    await until(() => Buffer.concat(frames).length >= 19, "the hello");
    const request = quiet.request(data(2), { timeout: 200 }).catch(() => undefined);
    await connecting;
    expect(why).toEqual(["refused", "silent"]);
    const dataLength = binary.encode(data(1)).length;
    await until(() => {
      const b = Buffer.concat(frames);
      return b.length >= 19 && b.length >= 19 + b.readUInt32BE(11) + 2 * dataLength;
    }, "hello and data written");
    await request;
    const bytes = Buffer.concat(frames);
    // One control frame (the hello), then the two data frames queued while waiting.
    expect(bytes.readUInt32BE(3)).toBe(0xffffffff);
    const helloLength = 19 + bytes.readUInt32BE(11);
    expect(bytes.readUInt32BE(helloLength + 3)).toBe(1);
    expect(bytes.readUInt32BE(helloLength + dataLength + 3)).toBe(1);
    expect(bytes.length).toBe(helloLength + 2 * dataLength);
  });
});
