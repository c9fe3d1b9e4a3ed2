import type { Connection } from "@taurus/core-conn";
import { type BinaryMessage, createBinaryProtocol } from "@taurus/protocol-binary";
import { createServer } from "@taurus/server";
import { afterEach, describe, expect, it } from "vitest";
import { createClient } from "../client";
import { onCleanup, runCleanups, until } from "../fixtures/harness";
import { startCutProxy } from "./cut-proxy";

afterEach(runCleanups);

const binary = createBinaryProtocol();
const data = (n: number): BinaryMessage => ({ version: 1, type: 1, sequence: n, data: new Uint8Array(8) });

describe("sessions across cut connections", () => {
  it("deliver every message exactly once and in order, both ways, through repeated cuts", async () => {
    const N = 2000;
    const atServer: number[] = [];
    let current: Connection<BinaryMessage> | undefined;
    const server = createServer<BinaryMessage>({
      protocol: binary,
      sessions: true,
      perAddress: false,
      handler: {
        onMessage(_conn, message) {
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
      session: true,
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
      if (sentByClient % 200 === 0 && cuts < 20) cuts += proxy.cut() > 0 ? 1 : 0;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await until(() => atServer.length >= N && atClient.length >= N, "all delivered", 20_000);
    const expected = Array.from({ length: N }, (_, i) => i);
    expect(lost).toEqual([]);
    expect(cuts).toBeGreaterThan(5);
    expect(atServer).toEqual(expected);
    expect(atClient).toEqual(expected);
  }, 30_000);
});
