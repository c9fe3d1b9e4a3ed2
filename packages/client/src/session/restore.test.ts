import { connect, createServer as createTcpServer, type Socket } from "node:net";
import { restartablePort } from "@taurus/adapter-redis/testing";
import type { Connection } from "@taurus/core-conn";
import { until as waitUntil } from "@taurus/core-conn/testing";
import type { BinaryMessage } from "@taurus/protocol-binary";
import { createServer, MemorySessionStore } from "@taurus/server";
import { afterEach, describe, expect, it } from "vitest";
import {
  binary,
  binaryData,
  onCleanup,
  runCleanups,
  sessionClient,
  until,
} from "../fixtures/harness";

afterEach(runCleanups);

const data = binaryData;

describe("a session resumed from a shared store by another server", () => {
  it("loses and doubles nothing, both ways, when its server closes and another takes over", async () => {
    const store = new MemorySessionStore({ shared: true }); // shared by two servers, as Redis
    const atServer: number[] = [];
    const lost: unknown[] = [];
    let current: Connection<BinaryMessage> | undefined;
    const start = async (port: number) => {
      const server = createServer<BinaryMessage>({
        protocol: binary,
        sessions: { store },
        handler: { onMessage: (m) => void atServer.push(m.sequence) },
      });
      server.on("sessionStarted", (_i, c) => {
        current = c;
      });
      server.on("sessionResumed", (_i, c) => {
        current = c;
      });
      server.on("sessionLost", (info) => lost.push(info));
      const address = await server.listen(port, "127.0.0.1");
      onCleanup(() => server.close());
      return { server, port: address.port };
    };
    const first = await start(await restartablePort()); // restarted on its port: below the ephemeral range
    const atClient: number[] = [];
    const resumed: boolean[] = [];
    const client = sessionClient(first.port, {
      handler: { onMessage: (m) => void atClient.push(m.sequence) },
    });
    client.on("session", (info) => resumed.push(info.resumed));
    client.on("sessionLost", (info) => lost.push(info));
    await client.connect();
    await until(() => current !== undefined, "session started");
    for (let i = 1; i <= 50; i++) {
      client.send(data(i));
      (current as Connection<BinaryMessage>).send(data(i));
    }
    await until(() => atServer.length >= 25 && atClient.length >= 25, "half delivered");
    const before = current;
    await first.server.close();
    await start(first.port);
    await until(() => current !== before && resumed.includes(true), "resumed on the second server");
    for (let i = 51; i <= 100; i++) {
      client.send(data(i));
      (current as Connection<BinaryMessage>).send(data(i));
    }
    await until(() => atServer.length >= 100 && atClient.length >= 100, "all delivered", 10_000);
    const expected = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(lost).toEqual([]);
    expect(atServer).toEqual(expected);
    expect(atClient).toEqual(expected);
  }, 20_000);
});

/**
 * A proxy to `port` whose server-to-client direction can be frozen: bytes from the server
 * are swallowed (as if the network lost them) until the connection is cut.
 */
async function freezableProxy(port: number) {
  const sockets = new Set<Socket>();
  let frozen = false;
  const proxy = createTcpServer((inbound) => {
    const outbound = connect(port, "127.0.0.1");
    for (const s of [inbound, outbound]) {
      sockets.add(s);
      s.on("error", () => {});
      s.on("close", () => sockets.delete(s));
    }
    inbound.on("data", (b) => outbound.write(b));
    outbound.on("data", (b) => {
      if (!frozen) inbound.write(b);
    });
    inbound.on("close", () => outbound.destroy());
    outbound.on("close", () => inbound.destroy());
  });
  await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
  const address = proxy.address() as { port: number };
  return {
    port: address.port,
    freeze: (on: boolean) => {
      frozen = on;
    },
    cut: () => {
      for (const s of sockets) s.resetAndDestroy();
    },
    close: () => new Promise<void>((r) => proxy.close(() => r())),
  };
}

describe("a request answered by a server that then goes away", () => {
  it("resolves with the reply replayed by the server that resumes the session from the shared store", async () => {
    const store = new MemorySessionStore({ shared: true });
    const handled: number[] = [];
    const start = async (port: number) => {
      const server = createServer<BinaryMessage>({
        protocol: binary,
        sessions: { store },
        handler: {
          onMessage(m, conn) {
            handled.push(m.sequence);
            conn.send({ ...m, data: new Uint8Array([1, 2, 3]) }); // the reply
          },
        },
      });
      const address = await server.listen(port, "127.0.0.1");
      onCleanup(() => server.close());
      return { server, port: address.port };
    };
    const first = await start(await restartablePort()); // restarted on its port: below the ephemeral range
    const proxy = await freezableProxy(first.port);
    onCleanup(() => proxy.close());
    onCleanup(() => proxy.cut());
    const client = sessionClient(proxy.port);
    const lost: unknown[] = [];
    let id = "";
    const sessions: boolean[] = [];
    client.on("sessionLost", (info) => lost.push(info));
    client.on("session", (info) => {
      id = info.id;
      sessions.push(info.resumed);
    });
    await client.connect();
    proxy.freeze(true); // the reply will not reach the client on this connection
    const reply = client.request(data(0), { timeout: 10_000 });
    // Processed (the count is in the store) and answered (the reply and its mark are too).
    await waitUntil(
      async () => {
        const record = await store.load(id);
        return record !== undefined && record.received === 1 && record.replies?.length === 1;
      },
      { what: "the request processed and its reply stored" },
    );
    await first.server.close(); // stops listening: the session can resume only from the store
    proxy.cut();
    proxy.freeze(false);
    await start(first.port);
    const answer = await reply;
    expect([...answer.data]).toEqual([1, 2, 3]);
    expect(handled).toHaveLength(1); // answered once: the second server did not run it again
    expect(sessions).toEqual([false, true]);
    expect(lost).toEqual([]);
  }, 20_000);
});
