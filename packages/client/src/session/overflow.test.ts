import { startCutProxy } from "@taurus/core-conn/testing";
import type { BinaryMessage } from "@taurus/protocol-binary";
import { createServer } from "@taurus/server";
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

const data = (n: number): BinaryMessage => binaryData(n, 2);

describe("a client session at its buffer's bound", () => {
  it("pushes back on send() (SEND_QUEUE_FULL) instead of losing the session; acknowledgements free room, and nothing is lost or doubled across a cut", async () => {
    const atServer: number[] = [];
    const server = createServer<BinaryMessage>({
      protocol: binary,
      sessions: true,
      perAddress: false,
      rateLimit: Number.POSITIVE_INFINITY,
      handler: { onMessage: (m) => void atServer.push(m.sequence) },
    });
    const { port } = await server.listen(0, "127.0.0.1");
    onCleanup(() => server.close());
    const proxy = await startCutProxy(port);
    onCleanup(() => proxy.close());
    const client = sessionClient(proxy.port, {
      session: { maxBufferedMessages: 5, ackInterval: 60_000 },
    });
    const lost: string[] = [];
    const sessions: boolean[] = [];
    client.on("sessionLost", (info) => lost.push(info.reason));
    client.on("session", (info) => sessions.push(info.resumed));
    await client.connect();
    for (let i = 1; i <= 5; i++) client.send(data(i));
    // Five unacknowledged (the server acknowledges every 32 or after 100 ms): the sixth is refused.
    expect(() => client.send(data(6))).toThrow(
      expect.objectContaining({ code: "SEND_QUEUE_FULL" }),
    );
    expect(client.stats.errorsByCode.SEND_QUEUE_FULL).toBe(1);
    expect(lost).toEqual([]);
    await until(() => {
      try {
        client.send(data(6));
        return true;
      } catch {
        return false;
      }
    }, "room again once the server acknowledged");
    await until(() => atServer.includes(6), "the sixth at the server");
    expect(proxy.cut()).toBeGreaterThan(0);
    await until(() => sessions.length === 2, "resumed");
    client.send(data(200));
    await until(() => atServer.includes(200), "the sentinel");
    expect(atServer).toEqual([1, 2, 3, 4, 5, 6, 200]);
    expect(sessions).toEqual([false, true]);
    expect(lost).toEqual([]);
  }, 20_000);
});
