import { startCutProxy } from "@taurus/core-conn/testing";
import { type BinaryMessage, createBinaryProtocol } from "@taurus/protocol-binary";
import { createServer } from "@taurus/server";
import { afterEach, describe, expect, it } from "vitest";
import { createClient } from "../client";
import { onCleanup, runCleanups, until } from "../fixtures/harness";

afterEach(runCleanups);

const binary = createBinaryProtocol();
const data = (n: number): BinaryMessage => ({
  version: 1,
  type: 1,
  sequence: n,
  data: new Uint8Array(2),
});

describe("a client session that overflows", () => {
  it("is reported lost, and the next session counts afresh: nothing doubled after later cuts", async () => {
    const atServer: number[] = [];
    const server = createServer<BinaryMessage>({
      protocol: binary,
      sessions: true,
      perAddress: false,
      rateLimit: Number.POSITIVE_INFINITY,
      handler: { onMessage: (_c, m) => void atServer.push(m.sequence) },
    });
    const { port } = await server.listen(0, "127.0.0.1");
    onCleanup(() => server.close());
    const proxy = await startCutProxy(port);
    onCleanup(() => proxy.close());
    const client = createClient<BinaryMessage>({
      address: { host: "127.0.0.1", port: proxy.port },
      protocol: binary,
      session: { maxBufferedMessages: 5, ackInterval: 60_000 },
      retryDelay: 10,
      maxRetryDelay: 50,
    });
    const lost: string[] = [];
    const sessions: string[] = [];
    client.on("sessionLost", (info) => lost.push(info.reason));
    client.on("session", (info) => sessions.push(info.id));
    onCleanup(() => client.close());
    await client.connect();
    for (let i = 1; i <= 6; i++) client.send(data(i)); // the 6th passes the bound
    expect(lost).toEqual(["overflow"]);
    await until(() => sessions.length === 2, "a new session");
    for (let i = 100; i <= 103; i++) client.send(data(i));
    await until(() => atServer.includes(103), "sent on the new session");
    expect(proxy.cut()).toBeGreaterThan(0);
    await until(() => sessions.length === 3, "resumed");
    client.send(data(200));
    await until(() => atServer.includes(200), "the sentinel");
    const after = atServer.slice(atServer.indexOf(100));
    expect(after).toEqual([100, 101, 102, 103, 200]);
    expect(new Set(atServer).size).toBe(atServer.length);
    expect(lost).toEqual(["overflow"]);
  }, 20_000);
});
