import { describe, expect, it } from "vitest";
import { collect, connectRaw, msg, startServer, until } from "./test-helpers";

describe("server.stats", () => {
  it("counts messages, bytes, errors by code and drops in the shared vocabulary", async () => {
    const { server, port } = await startServer({
      maxMessageSize: 64,
      handler: { onMessage: (m, c) => void c.send(m) },
    });
    const client = await connectRaw(port);
    const got = collect(client, 2);
    client.send(msg(1, "a"));
    client.send(msg(2, "b"));
    await got;
    // An oversized frame: dropped, counted, and the connection kept.
    const big = collect(client, 1);
    client.send(msg(3, "x".repeat(100)));
    client.send(msg(4, "c"));
    await big;
    await until(() => server.stats.messagesOut === 3);
    const stats = server.stats;
    const snapshot = server.metrics.snapshot();
    expect(stats).toMatchObject({ messagesIn: 3, messagesOut: 3, connections: 1 });
    expect(stats.bytesIn).toBe(snapshot.bytes_received);
    expect(stats.bytesOut).toBe(snapshot.bytes_sent);
    expect(stats.bytesOut).toBeGreaterThan(0);
    expect(stats.errorsByCode).toEqual({ MESSAGE_TOO_LARGE: 1 });
    expect(stats.drops).toEqual({
      invalid_format: 0,
      checksum: 0,
      too_large: 1,
      malformed_body: 0,
    });
    expect(stats.totalConnections).toBe(1);
    expect(stats.refusedConnections).toBe(0);
  });
});
