// A server that granted a session and then answers a hello late (a restart under load)
// is asked again, not taken for a Go server; one that never answers again is, and the
// session's loss is reported with its counts, never silently.
import net from "node:net";
import type { BinaryMessage } from "@taurus/protocol-binary";
import { createServer } from "@taurus/server";
import { afterEach, describe, expect, it } from "vitest";
import { createClient } from "../client";
import { binary, binaryData, onCleanup, runCleanups, until } from "../fixtures/harness";

afterEach(runCleanups);

const data = binaryData;

/** A proxy to `target` that, while muted, accepts connections and reads them without answering. */
async function gate(target: number) {
  const state = { muted: false, mutedConnections: 0, cut: () => undefined as unknown };
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on("close", () => sockets.delete(client));
    client.on("error", () => client.destroy());
    if (state.muted) {
      state.mutedConnections++;
      client.resume(); // reads, never answers
      return;
    }
    const upstream = net.connect({ host: "127.0.0.1", port: target });
    sockets.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
    };
    upstream.on("error", drop).on("close", drop);
    client.on("close", drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  state.cut = () => {
    for (const s of sockets) s.resetAndDestroy();
  };
  onCleanup(async () => {
    state.cut();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { port: (server.address() as net.AddressInfo).port, state };
}

async function setUp() {
  const atServer: number[] = [];
  const server = createServer<BinaryMessage>({
    protocol: binary,
    sessions: true,
    handler: { onMessage: (m) => void atServer.push(m.sequence) },
  });
  const { port } = await server.listen(0, "127.0.0.1");
  onCleanup(() => server.close());
  const proxy = await gate(port);
  const events: string[] = [];
  const lost: Array<{ reason: string; unacknowledged: number }> = [];
  const client = createClient<BinaryMessage>({
    address: { host: "127.0.0.1", port: proxy.port },
    protocol: binary,
    session: { helloTimeout: 100 },
    retryDelay: 10,
    maxRetryDelay: 20,
    keepaliveInterval: 0,
    handler: {},
  });
  client.on("session", (info) => events.push(info.resumed ? "resumed" : "new"));
  client.on("sessionUnavailable", (reason) => events.push(`unavailable:${reason}`));
  client.on("sessionLost", (info) => {
    events.push(`lost:${info.reason}`);
    lost.push(info);
  });
  onCleanup(() => client.close());
  await client.connect();
  client.send(data(1));
  await until(() => atServer.length === 1, "message 1");
  return { atServer, proxy, events, lost, client };
}

describe("a session hello answered late", () => {
  it("is asked again on new connections, and the session resumes with nothing lost", async () => {
    const { atServer, proxy, events, client } = await setUp();
    proxy.state.muted = true;
    proxy.state.cut();
    for (let i = 2; i <= 5; i++) client.send(data(i));
    // Two hellos go unanswered (each on its own connection), then the server is back.
    await until(() => proxy.state.mutedConnections >= 2, "two unanswered hellos", 5000);
    proxy.state.muted = false;
    await until(() => atServer.length === 5, "messages 2 to 5", 5000);
    expect(atServer).toEqual([1, 2, 3, 4, 5]);
    expect(events).toEqual(["new", "resumed"]);
  });

  it("past three unanswered hellos, the session is reported lost with its counts", async () => {
    const { proxy, events, lost, client } = await setUp();
    proxy.state.muted = true;
    proxy.state.cut();
    await until(() => client.state !== "connected", "the cut seen");
    client.send(data(2)); // accepted while away: never left the client
    await until(() => events.includes("unavailable:silent"), "given up", 5000);
    expect(proxy.state.mutedConnections).toBe(3);
    expect(events).toEqual(["new", "lost:unknown", "unavailable:silent"]);
    // Message 1 may have been processed (it was): counted, not sent again.
    expect(lost[0]).toMatchObject({ reason: "unknown" });
    expect(lost[0]?.unacknowledged).toBeLessThanOrEqual(1);
  });
});
