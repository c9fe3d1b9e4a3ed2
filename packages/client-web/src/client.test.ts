// The browser client against a real server over WebSocket (ws stands in for the browser's).

import type { BinaryMessage } from "@taurus/protocol-binary";
import { describe, expect, it } from "vitest";
import { WebSocketServer } from "ws";
import { createWebClient } from "./client";
import type { WebSocketConstructor } from "./options";
import {
  BrowserLikeWebSocket,
  binary,
  client,
  msg,
  onCleanup,
  rawServer,
  startEcho,
  until,
} from "./test-helpers";

const text = (m: BinaryMessage): string => Buffer.from(m.data).toString();

describe("WebClient", () => {
  it("sends, receives, and matches replies to requests", async () => {
    const { url } = await startEcho();
    const c = client(url);
    const got: BinaryMessage[] = [];
    c.on("message", (m) => got.push(m));
    await c.connect();
    expect(c.state).toBe("open");
    c.send(msg(5, "hello"));
    await until(() => got.length === 1);
    expect(text(got[0] as BinaryMessage)).toBe("hello");
    const reply = await c.request(msg(0, "question"));
    expect(text(reply)).toBe("question");
    expect(got).toHaveLength(1);
  });

  it("keeps what is sent before connecting, in order, and sends it once open", async () => {
    const { url } = await startEcho();
    const c = client(url);
    const got: string[] = [];
    c.on("message", (m) => got.push(text(m)));
    c.send(msg(1, "a"));
    c.send(msg(2, "b"));
    expect(c.queued).toBe(2);
    await c.connect();
    await until(() => got.length === 2);
    expect(got).toEqual(["a", "b"]);
  });

  it("refuses past the offline queue's size", () => {
    const c = client("ws://127.0.0.1:1/", { offlineQueueSize: 1 });
    c.send(msg(1));
    expect(() => c.send(msg(2))).toThrow(expect.objectContaining({ code: "SEND_QUEUE_FULL" }));
  });

  it("reconnects after the server restarts, and sends what was queued meanwhile", async () => {
    const first = await startEcho();
    const c = client(first.url);
    let opens = 0;
    c.on("open", () => opens++);
    const got: string[] = [];
    c.on("message", (m) => got.push(text(m)));
    const attempts: number[] = [];
    c.on("reconnecting", (info) => attempts.push(info.attempt));
    await c.connect();
    await first.server.close();
    await until(() => c.state === "reconnecting" && attempts.length >= 1);
    c.send(msg(3, "while down"));
    await startEcho(first.port);
    await until(() => opens === 2, { timeout: 10_000 });
    await until(() => got.includes("while down"));
  });

  it("a request fails when the connection is lost, and on timeout", async () => {
    const { server, url } = await startEcho(0, { handler: {} });
    const c = client(url, { reconnect: false });
    await c.connect();
    await expect(c.request(msg(0), { timeout: 50 })).rejects.toMatchObject({
      code: "REQUEST_TIMEOUT",
    });
    const failed = expect(c.request(msg(0), { timeout: 10_000 })).rejects.toMatchObject({
      code: "CONNECTION_CLOSED",
    });
    const closed = new Promise((resolve) => c.once("close", resolve));
    await server.close();
    await failed;
    await closed;
    expect(c.state).toBe("closed");
    expect(() => c.send(msg(1))).toThrow(expect.objectContaining({ code: "CONNECTION_CLOSED" }));
  });

  it("pings, and reconnects when nothing comes back (heartbeat timeout)", async () => {
    // A WebSocket server that accepts and never answers.
    const silent = new WebSocketServer({ port: 0, host: "127.0.0.1" });
    onCleanup(() => new Promise((resolve) => silent.close(resolve)));
    const pings: Buffer[] = [];
    silent.on("connection", (ws) => ws.on("message", (d) => pings.push(d as Buffer)));
    await new Promise((resolve) => silent.once("listening", resolve));
    const port = (silent.address() as { port: number }).port;
    const c = client(`ws://127.0.0.1:${port}/`, { heartbeatInterval: 40 });
    const reasons: string[] = [];
    c.on("reconnecting", (info) => reasons.push(info.error?.code ?? ""));
    await c.connect();
    // The ping may reach the server after the client gave up on it: wait for both.
    await until(() => reasons.includes("HEARTBEAT_TIMEOUT") && pings.length > 0, {
      timeout: 5000,
    });
    expect(Buffer.from(pings[0] as Buffer)).toEqual(
      Buffer.from(binary.encode(binary.keepalive?.ping as BinaryMessage)),
    );
  });

  it("closes a WebSocket that carries text with a code a browser accepts, and reconnects", async () => {
    const { url, closeCodes } = await rawServer((ws) => ws.send("text, not frames"));
    const c = client(url, { WebSocket: BrowserLikeWebSocket as unknown as WebSocketConstructor });
    const reasons: string[] = [];
    c.on("reconnecting", (info) => reasons.push(info.error?.message ?? ""));
    await c.connect();
    await until(() => closeCodes.length >= 1 && reasons.length >= 1);
    expect(closeCodes[0]).toBe(4003);
    expect(reasons[0]).toContain("4003 binary messages only");
  });

  it("checks its options", () => {
    expect(() =>
      createWebClient({ url: "http://x", protocol: binary, WebSocket: undefined }),
    ).toThrow(expect.objectContaining({ code: "INVALID_OPTION" }));
    expect(() => client("ws://x/", { retryDelay: -1 })).toThrow(
      expect.objectContaining({ code: "INVALID_OPTION" }),
    );
  });
});
