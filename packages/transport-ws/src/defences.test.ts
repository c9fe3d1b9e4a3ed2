// Hostile WebSocket peers: the attacker connects from 127.0.0.2, the legitimate user from
// 127.0.0.3, and the user is served throughout.
import net from "node:net";
import { describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { msg, onCleanup, refusedStatus, startEcho, until, wsClient, wsEcho } from "./test-helpers";

const ATTACKER = "127.0.0.2";
const USER = "127.0.0.3";

describe("WebSocket defences", () => {
  it("closes a text message with 1003 and counts it; another peer is served", async () => {
    const codes: string[] = [];
    const { server, wsPort } = await startEcho({}, { onError: (e) => codes.push(e.code) });
    const attacker = await wsClient(wsPort, ATTACKER);
    attacker.ws.send("not a frame");
    expect(await attacker.closed).toBe(1003);
    expect(codes).toContain("TEXT_MESSAGE");
    expect(server.metrics.snapshot().errors_by_code.TEXT_MESSAGE).toBe(1);
    expect(await wsEcho(wsPort, 11, USER)).toBe(11);
  });

  it("closes a message over maxMessageSize (1009) before buffering more; another peer is served", async () => {
    const { wsPort } = await startEcho({ maxMessageSize: 4096 });
    const attacker = await wsClient(wsPort, ATTACKER);
    attacker.ws.send(Buffer.alloc(64 * 1024));
    expect(await attacker.closed).toBe(1009);
    expect(await wsEcho(wsPort, 12, USER)).toBe(12);
  });

  it("applies the server's per-address limits by the real remote address", async () => {
    const { server, wsPort } = await startEcho({
      perAddress: { maxConcurrent: 2, ratePerSecond: Number.POSITIVE_INFINITY },
    });
    const a = await wsClient(wsPort, ATTACKER);
    const b = await wsClient(wsPort, ATTACKER);
    const c = await wsClient(wsPort, ATTACKER);
    await c.closed;
    expect(server.metrics.snapshot().connection_refused).toBe(1);
    expect(await wsEcho(wsPort, 13, USER)).toBe(13);
    a.ws.close();
    b.ws.close();
  });

  it("believes X-Forwarded-For only from a trusted proxy", async () => {
    const { server, wsPort } = await startEcho(
      { perAddress: { maxConcurrent: 1, ratePerSecond: Number.POSITIVE_INFINITY } },
      { trustedProxies: [USER] },
    );
    // From the trusted proxy: two clients behind it are two addresses.
    await wsClient(wsPort, USER, { "x-forwarded-for": "10.0.0.1" });
    await wsClient(wsPort, USER, { "x-forwarded-for": "10.0.0.2" });
    // From anyone else the header is ignored: the attacker's second connection is refused.
    await wsClient(wsPort, ATTACKER, { "x-forwarded-for": "10.0.0.3" });
    const second = await wsClient(wsPort, ATTACKER, { "x-forwarded-for": "10.0.0.4" });
    await second.closed;
    const addresses = [...server.connections()].map((c) => c.remoteAddress).sort();
    expect(addresses).toEqual(["10.0.0.1", "10.0.0.2", ATTACKER]);
  });

  it("refuses another origin (403) by default, accepts the same origin and non-browsers", async () => {
    const codes: string[] = [];
    const { wsPort } = await startEcho({}, { onError: (e) => codes.push(e.code) });
    expect(await refusedStatus(wsPort, { origin: "http://evil.example" })).toBe(403);
    expect(codes).toEqual(["ORIGIN_REFUSED"]);
    await wsClient(wsPort, USER, { origin: `http://127.0.0.1:${wsPort}` });
    await wsClient(wsPort, USER);
  });

  it("accepts only listed origins, and only the configured path", async () => {
    const { wsPort } = await startEcho(
      {},
      { allowedOrigins: ["https://chat.example"], path: "/ws" },
    );
    expect(await refusedStatus(wsPort, { origin: `http://127.0.0.1:${wsPort}` }, "/ws")).toBe(403);
    expect(await refusedStatus(wsPort, { origin: "https://chat.example" }, "/other")).toBe(404);
    const ws = new WebSocket(`ws://127.0.0.1:${wsPort}/ws`, { origin: "https://chat.example" });
    onCleanup(() => ws.terminate());
    await new Promise((resolve) => ws.once("open", resolve));
  });

  it("caps silent handshakes per address and times them out; another address is served", async () => {
    const codes: string[] = [];
    const { transport, wsPort } = await startEcho(
      {},
      { maxHandshakesPerAddress: 4, handshakeTimeout: 1000, onError: (e) => codes.push(e.code) },
    );
    const silent = Array.from({ length: 10 }, () => {
      const s = net.connect({ host: "127.0.0.1", port: wsPort, localAddress: ATTACKER });
      s.on("error", () => {});
      onCleanup(() => s.destroy());
      return s;
    });
    await until(() => codes.filter((c) => c === "CONNECTION_LIMIT").length === 6);
    expect(transport.pendingHandshakes).toBe(4);
    expect(await wsEcho(wsPort, 14, USER)).toBe(14);
    await until(() => codes.filter((c) => c === "HANDSHAKE_TIMEOUT").length === 4, {
      timeout: 10_000,
    });
    await until(() => silent.every((s) => s.destroyed));
    expect(transport.pendingHandshakes).toBe(0);
  });

  it("exempts trusted addresses from the per-address cap, not from the global one", async () => {
    const codes: string[] = [];
    const { transport, wsPort } = await startEcho(
      {},
      { maxHandshakesPerAddress: 2, maxHandshakes: 6, onError: (e) => codes.push(e.code) },
    );
    const open = (localAddress: string): void => {
      const s = net.connect({ host: "127.0.0.1", port: wsPort, localAddress });
      s.on("error", () => {});
      onCleanup(() => s.destroy());
    };
    for (let i = 0; i < 5; i++) open("127.0.0.1");
    await until(() => transport.pendingHandshakes === 5);
    expect(codes).toEqual([]);
    for (let i = 0; i < 3; i++) open(ATTACKER);
    await until(() => codes.length === 2);
    expect(transport.pendingHandshakes).toBe(6);
  });

  it("a peer that stops reading is closed by the write timeout; another peer is served", async () => {
    const { server, wsPort } = await startEcho({ writeTimeout: 500 });
    const attacker = await wsClient(wsPort, ATTACKER);
    // The attacker's socket stops reading: its TCP window fills.
    (attacker.ws as unknown as { _socket: net.Socket })._socket.pause();
    await until(() => server.connectionCount === 1);
    const big = msg(1, "x".repeat(60_000));
    const flood = setInterval(() => server.broadcast(big), 5);
    onCleanup(() => clearInterval(flood));
    await until(() => server.connectionCount === 0, { timeout: 15_000 });
    clearInterval(flood);
    expect(await wsEcho(wsPort, 15, USER)).toBe(15);
    expect(server.metrics.snapshot().connection_refused ?? 0).toBe(0);
  }, 30_000);
});
