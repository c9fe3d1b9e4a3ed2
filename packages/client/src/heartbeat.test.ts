import { once } from "node:events";
import type { Socket } from "node:net";
import type { TaurusError } from "@taurus/core-conn";
import { afterEach, describe, expect, it } from "vitest";
import { createClient } from "./client";
import type { ReconnectingInfo } from "./client-types";
import {
  onCleanup,
  runCleanups,
  seq,
  startRawServer,
  startServer,
  until,
} from "./fixtures/harness";
import type { SeqMessage } from "./fixtures/seq-protocol";

afterEach(runCleanups);

const ping = (): SeqMessage => ({ sequence: 0, text: "ping" });

describe("heartbeat", () => {
  it("detects a peer that accepts and reads but never answers, then reconnects", async () => {
    const accepted: Socket[] = [];
    let bytesRead = 0;
    const port = await startRawServer((socket) => {
      accepted.push(socket);
      socket.on("data", (chunk: Buffer) => {
        bytesRead += chunk.length;
      });
    });
    const c = createClient<SeqMessage>({
      address: `127.0.0.1:${port}`,
      protocol: seq,
      heartbeat: { interval: 10, timeout: 60, message: ping },
      retryDelay: 10,
      maxRetries: Number.POSITIVE_INFINITY,
    });
    onCleanup(() => c.close());
    await c.connect();
    const [disconnectError] = (await once(c, "disconnect")) as [TaurusError];
    expect(disconnectError.code).toBe("HEARTBEAT_TIMEOUT");
    const [info] = (await once(c, "reconnecting")) as [ReconnectingInfo];
    expect(info.error.code).toBe("HEARTBEAT_TIMEOUT");
    await until(() => accepted.length >= 2, "a second connection");
    expect(bytesRead).toBeGreaterThan(0); // heartbeats were sent
    expect(c.stats.errors.connection).toBeGreaterThanOrEqual(1);
  });

  it("keeps a connection whose peer answers, and hides the replies from the application", async () => {
    const srv = await startServer({
      handler: {
        onMessage: (m, conn) =>
          void conn.send({ sequence: 0, text: m.text === "ping" ? "pong" : m.text }),
      },
    });
    const seen: string[] = [];
    const c = createClient<SeqMessage>({
      address: `127.0.0.1:${srv.port}`,
      protocol: seq,
      heartbeat: { interval: 10, timeout: 40, message: ping, isReply: (m) => m.text === "pong" },
      handler: { onMessage: (m) => void seen.push(m.text) },
    });
    onCleanup(() => c.close());
    await c.connect();
    const disconnects: unknown[] = [];
    c.on("disconnect", (e) => disconnects.push(e));
    await until(() => c.stats.messagesReceived >= 12, "several pongs"); // well past 2 timeouts
    c.send({ sequence: 0, text: "hello" });
    await until(() => seen.length === 1, "hello echo");
    expect(seen).toEqual(["hello"]);
    expect(disconnects).toEqual([]);
    expect(c.state).toBe("connected");
  });
});
