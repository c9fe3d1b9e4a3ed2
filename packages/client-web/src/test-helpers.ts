// Helpers for the browser client's tests, run in Node: `ws` stands in for the browser's
// WebSocket, and a real Taurus server with the WebSocket transport answers.
import type net from "node:net";
import {
  type CutProxy as CoreCutProxy,
  startCutProxy as startCoreCutProxy,
  until,
} from "@taurus/core-conn/testing";
import { type BinaryMessage, createBinaryProtocol } from "@taurus/protocol-binary";
import { createServer, type ServerConfig, type TaurusServer } from "@taurus/server";
import { attachWebSocket } from "@taurus/transport-ws";
import { afterEach } from "vitest";
import { WebSocket, WebSocketServer } from "ws";
import { createWebClient, type WebClient } from "./client";
import type { WebClientOptions, WebSocketConstructor } from "./options";

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

/** An echo server reachable only over WebSocket, on `port` (0: any); closed after the test. */
export async function startEcho(
  port = 0,
  config: Partial<ServerConfig<BinaryMessage>> = {},
): Promise<{ server: TaurusServer<BinaryMessage>; port: number; url: string }> {
  const server = createServer({
    protocol: binary,
    rateLimit: Infinity,
    shutdownTimeout: 1000,
    handler: { onMessage: (m, c) => void c.send(m) },
    ...config,
  });
  const transport = attachWebSocket(server);
  const address = await transport.listen(port, "127.0.0.1");
  onCleanup(() => server.close());
  return { server, port: address.port, url: `ws://127.0.0.1:${address.port}/` };
}

/** A client of `url` over `ws`; closed after the test. */
export function client(
  url: string,
  options: Partial<WebClientOptions<BinaryMessage>> = {},
): WebClient<BinaryMessage> {
  const c = createWebClient({
    url,
    protocol: binary,
    WebSocket: WebSocket as unknown as WebSocketConstructor,
    retryDelay: 20,
    maxRetryDelay: 200,
    ...options,
  });
  onCleanup(() => c.close());
  return c;
}

/** A cut proxy (`@taurus/core-conn/testing`) in front of a server, with its WebSocket URL. */
export interface CutProxy extends CoreCutProxy {
  readonly url: string;
}

/** Starts a cut proxy on 127.0.0.1 to `target`; closed after the test. */
export async function startCutProxy(target: number): Promise<CutProxy> {
  const proxy = await startCoreCutProxy(target);
  onCleanup(() => proxy.close());
  return Object.assign(proxy, { url: `ws://127.0.0.1:${proxy.port}/` });
}

/** A promise and the function that settles it. */
export function gate(): { wait: Promise<void>; open: () => void } {
  let open = (): void => undefined;
  const wait = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { wait, open };
}

/** `ws` with a browser's rule for `close(code)`: 1000 or 3000-4999, anything else throws. */
export class BrowserLikeWebSocket extends WebSocket {
  override close(code?: number, reason?: string): void {
    if (code !== undefined && code !== 1000 && (code < 3000 || code > 4999)) {
      throw new Error(`InvalidAccessError: close code ${code}`);
    }
    super.close(code, reason);
  }
}

/** A bare WebSocket server on 127.0.0.1 (closed after the test) and the close codes it saw. */
export async function rawServer(
  onConnection: (ws: WebSocket) => void,
): Promise<{ url: string; closeCodes: number[] }> {
  const server = new WebSocketServer({ port: 0, host: "127.0.0.1" });
  onCleanup(() => new Promise((resolve) => server.close(resolve)));
  const closeCodes: number[] = [];
  server.on("connection", (ws) => {
    ws.on("close", (code) => closeCodes.push(code));
    onConnection(ws);
  });
  await new Promise((resolve) => server.once("listening", resolve));
  const { port } = server.address() as net.AddressInfo;
  return { url: `ws://127.0.0.1:${port}/`, closeCodes };
}
