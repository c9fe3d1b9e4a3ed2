// Helpers for the browser client's tests, run in Node: `ws` stands in for the browser's
// WebSocket, and a real Taurus server with the WebSocket transport answers.
import { until } from "@taurus/core-conn/testing";
import { type BinaryMessage, createBinaryProtocol } from "@taurus/protocol-binary";
import { createServer, type ServerConfig, type TaurusServer } from "@taurus/server";
import { attachWebSocket } from "@taurus/transport-ws";
import { afterEach } from "vitest";
import { WebSocket } from "ws";
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
    handler: { onMessage: (c, m) => void c.send(m) },
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
