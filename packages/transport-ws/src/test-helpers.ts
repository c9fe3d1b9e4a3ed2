// Helpers for the transport's tests: a binary echo server on 127.0.0.1:0 with the WebSocket
// transport on a port of its own, and WebSocket clients from a chosen loopback address.
import { Connection } from "@taurus/core-conn";
import { until } from "@taurus/core-conn/testing";
import { type BinaryMessage, createBinaryProtocol } from "@taurus/protocol-binary";
import { createServer, type ServerConfig, type TaurusServer } from "@taurus/server";
import { afterEach } from "vitest";
import { WebSocket } from "ws";
import type { WebSocketTransportOptions } from "./options";
import { attachWebSocket, type WebSocketTransport } from "./transport";

export { until };
export const binary = createBinaryProtocol();
const cleanups: Array<() => unknown> = [];

afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

/** Runs `fn` after the current test. */
export function onCleanup(fn: () => unknown): void {
  cleanups.push(fn);
}

/** A binary message carrying `text`. */
export function msg(sequence: number, text = "", type = 1): BinaryMessage {
  return { version: 1, type, sequence, data: Buffer.from(text) };
}

/** An echo server (TCP) with the WebSocket transport on its own port; both closed after the test. */
export async function startEcho(
  config: Partial<ServerConfig<BinaryMessage>> = {},
  options: WebSocketTransportOptions = {},
): Promise<{
  server: TaurusServer<BinaryMessage>;
  transport: WebSocketTransport;
  tcpPort: number;
  wsPort: number;
}> {
  const server = createServer({
    protocol: binary,
    rateLimit: Infinity,
    shutdownTimeout: 2000,
    handler: { onMessage: (m, c) => void c.send(m) },
    ...config,
  });
  const { port: tcpPort } = await server.listen(0, "127.0.0.1");
  const transport = attachWebSocket(server, options);
  const { port: wsPort } = await transport.listen(0, "127.0.0.1");
  onCleanup(() => server.close());
  return { server, transport, tcpPort, wsPort };
}

/** A WebSocket client from `localAddress` that keeps every binary message it gets. */
export async function wsClient(
  port: number,
  localAddress = "127.0.0.3",
  headers: Record<string, string> = {},
): Promise<{ ws: WebSocket; got: Buffer[]; closed: Promise<number> }> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { localAddress, headers });
  const got: Buffer[] = [];
  const closed = new Promise<number>((resolve) => ws.once("close", (code) => resolve(code)));
  ws.on("message", (data) => got.push(data as Buffer));
  ws.on("error", () => {});
  onCleanup(() => ws.terminate());
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("unexpected-response", (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once("close", () => reject(new Error("closed before open")));
  });
  return { ws, got, closed };
}

/** The status of a refused handshake (an error when it opened). */
export function refusedStatus(
  port: number,
  headers: Record<string, string> = {},
  path = "/",
): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, { headers });
    ws.on("error", () => {});
    ws.once("open", () => {
      ws.terminate();
      reject(new Error("opened"));
    });
    ws.once("unexpected-response", (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
  });
}

/** Echoes once through a WebSocket from `localAddress`; resolves with the reply's sequence. */
export async function wsEcho(
  port: number,
  sequence: number,
  localAddress = "127.0.0.3",
): Promise<number> {
  const { ws, got } = await wsClient(port, localAddress);
  ws.send(binary.encode(msg(sequence)));
  await until(() => got.length >= 1, { timeout: 10_000 });
  const first = got[0] as Buffer;
  return first.readUInt32BE(7);
}

/** A TCP connection to `port`, closed after the test. */
export async function tcpConnection(port: number): Promise<Connection<BinaryMessage>> {
  const net = await import("node:net");
  const socket = net.connect({ host: "127.0.0.1", port, localAddress: "127.0.0.3" });
  const conn = new Connection(socket, binary);
  onCleanup(() => conn.destroy());
  await new Promise<void>((resolve) => conn.once("connect", () => resolve()));
  return conn;
}
