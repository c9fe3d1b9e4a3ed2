// The WebSocket transport: frames byte for byte as on TCP, one per binary message, and the
// server's own handler, rooms and metrics.
import { describe, expect, it } from "vitest";
import { binaryFrameLength, splitFrames } from "./frames";
import { binary, msg, startEcho, tcpConnection, until, wsClient } from "./test-helpers";

describe("WebSocket transport", () => {
  it("echoes frames byte for byte, one frame per binary message, as over TCP", async () => {
    const { server, wsPort } = await startEcho();
    const { ws, got } = await wsClient(wsPort);
    const frames = [msg(1, "a"), msg(2, "bb"), msg(3, "é".repeat(300))].map((m) =>
      binary.encode(m),
    );
    // Sent together: the connection coalesces its replies into one write.
    for (const f of frames) ws.send(f);
    await until(() => got.length === 3);
    expect(got.map((b) => Buffer.from(b))).toEqual(frames.map((f) => Buffer.from(f)));
    expect(server.metrics.snapshot().messages_received).toBe(3);
    const conn = [...server.connections()][0];
    expect(conn?.remoteAddress).toBe("127.0.0.3");
  });

  it("a broadcast reaches TCP and WebSocket peers with the same bytes", async () => {
    const { server, tcpPort, wsPort } = await startEcho({ handler: {} });
    const { got } = await wsClient(wsPort);
    const tcp = await tcpConnection(tcpPort);
    const tcpGot: Uint8Array[] = [];
    tcp.on("message", (_m, size) => tcpGot.push(new Uint8Array(size)));
    await until(() => server.connectionCount === 2);
    const frame = binary.encode(msg(7, "to all"));
    expect(server.broadcast(msg(7, "to all")).sent).toBe(2);
    await until(() => got.length === 1 && tcpGot.length === 1);
    expect(Buffer.from(got[0] as Buffer)).toEqual(Buffer.from(frame));
  });

  it("works on a server that never listens on TCP, and closes its connections with the server", async () => {
    const { createServer } = await import("@taurus/server");
    const { attachWebSocket } = await import("./transport");
    const server = createServer({
      protocol: binary,
      rateLimit: Infinity,
      handler: { onMessage: (m, c) => void c.send(m) },
    });
    const transport = attachWebSocket(server);
    const { port } = await transport.listen(0, "127.0.0.1");
    const { ws, got, closed } = await wsClient(port);
    ws.send(binary.encode(msg(4)));
    await until(() => got.length === 1);
    const report = await server.close();
    expect(report.closed).toBe(1);
    expect(await closed).toBe(1000);
    await until(() => transport.address() === undefined);
  });

  it("splits a chunk of whole frames, and passes unknown bytes as one piece", () => {
    const a = binary.encode(msg(1, "x"));
    const b = binary.encode(msg(2, "yy"));
    const both = Buffer.concat([a, b]);
    expect(splitFrames(both, undefined)).toEqual([both]);
    const junk = Buffer.from([1, 2, 3]);
    expect(splitFrames(Buffer.concat([a, junk]), binaryFrameLength).map((p) => p.length)).toEqual([
      a.length,
      3,
    ]);
  });
});
