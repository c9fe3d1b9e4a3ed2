import { ClientMetrics } from "@taurus/metrics";
import { afterEach, describe, expect, it } from "vitest";
import { createClient } from "./client";
import { freePort, onCleanup, runCleanups, seq, startServer, until } from "./fixtures/harness";
import type { SeqMessage } from "./fixtures/seq-protocol";

afterEach(runCleanups);

describe("client metrics", () => {
  it("counts the messages and bytes of every connection, and the client's errors", async () => {
    const srv = await startServer({
      handler: { onMessage: (m, conn) => void conn.send({ sequence: 0, text: `re:${m.text}` }) },
    });
    const metrics = new ClientMetrics();
    const c = createClient<SeqMessage>({
      address: `127.0.0.1:${srv.port}`,
      protocol: seq,
      metrics,
    });
    onCleanup(() => c.close());
    expect(c.metrics).toBe(metrics);
    const replies: string[] = [];
    c.on("message", (m) => replies.push(m.text));
    await c.connect();
    for (const text of ["a", "b", "c"]) c.send({ sequence: 0, text });
    await until(() => replies.length === 3, "the replies");
    const frame = seq.encode({ sequence: 0, text: "a" }).length;
    expect(metrics.messagesSent.value).toBe(3);
    expect(metrics.bytesSent.value).toBe(3 * frame);
    expect(metrics.messagesReceived.value).toBe(3);
    expect(metrics.bytesReceived.value).toBe(3 * (frame + 3)); // "re:" + text
    expect(() => c.send({ sequence: -1, text: "bad" })).toThrow();
    expect(metrics.errorsByCode()).toEqual({ INVALID_MESSAGE: 1 });
  });

  it("counts failed connection attempts by code, with a default ClientMetrics", async () => {
    const port = await freePort();
    const c = createClient<SeqMessage>({
      address: `127.0.0.1:${port}`,
      protocol: seq,
      maxRetries: 1,
      retryDelay: 1,
      maxRetryDelay: 1,
    });
    onCleanup(() => c.close());
    await expect(c.connect()).rejects.toMatchObject({ code: "SOCKET" });
    expect(c.metrics.errorsByCode()).toEqual({ SOCKET: 2 });
    expect(c.metrics.errorsByKind().system).toBe(2);
  });
});
