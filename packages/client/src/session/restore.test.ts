import type { Connection } from "@taurus/core-conn";
import { type BinaryMessage, createBinaryProtocol } from "@taurus/protocol-binary";
import { createServer, MemorySessionStore, type SessionStore } from "@taurus/server";
import { afterEach, describe, expect, it } from "vitest";
import { createClient } from "../client";
import { onCleanup, runCleanups, until } from "../fixtures/harness";

afterEach(runCleanups);

const binary = createBinaryProtocol();
const data = (n: number): BinaryMessage => ({
  version: 1,
  type: 1,
  sequence: n,
  data: new Uint8Array(4),
});

/** A store shared by two servers (as Redis would be): anything but the in-memory class. */
function sharedStore(): SessionStore {
  const inner = new MemorySessionStore();
  return {
    create: (r) => inner.create(r),
    load: (id) => inner.load(id),
    append: (id, f, n) => inner.append(id, f, n),
    acknowledge: (id, n) => inner.acknowledge(id, n),
    received: (id, n) => inner.received(id, n),
    detach: (id, at) => inner.detach(id, at),
    attach: (id) => inner.attach(id),
    delete: (id) => inner.delete(id),
    count: () => inner.count(),
    expire: (now) => inner.expire(now),
  };
}

describe("a session resumed from a shared store by another server", () => {
  it("loses and doubles nothing, both ways, when its server closes and another takes over", async () => {
    const store = sharedStore();
    const atServer: number[] = [];
    const lost: unknown[] = [];
    let current: Connection<BinaryMessage> | undefined;
    const start = async (port: number) => {
      const server = createServer<BinaryMessage>({
        protocol: binary,
        sessions: { store },
        handler: { onMessage: (_c, m) => void atServer.push(m.sequence) },
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
    const first = await start(0);
    const atClient: number[] = [];
    const resumed: boolean[] = [];
    const client = createClient<BinaryMessage>({
      address: { host: "127.0.0.1", port: first.port },
      protocol: binary,
      session: true,
      retryDelay: 10,
      maxRetryDelay: 50,
      handler: { onMessage: (m) => void atClient.push(m.sequence) },
    });
    client.on("session", (info) => resumed.push(info.resumed));
    client.on("sessionLost", (info) => lost.push(info));
    onCleanup(() => client.close());
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
