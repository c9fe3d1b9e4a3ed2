// server.accept(): a connection that arrives as a Duplex (a WebSocket, an in-memory pair)
// gets the same handler and the same per-address limits as a TCP socket.
import { Connection } from "@taurus/core-conn";
import { createSocketPair } from "@taurus/core-conn/testing";
import { describe, expect, it } from "vitest";
import { createServer } from "./server";
import { binary, collect, msg, onCleanup, until } from "./test-helpers";

describe("server.accept", () => {
  it("serves a Duplex that never went through the listener, before listen() too", async () => {
    const server = createServer({
      protocol: binary,
      rateLimit: Infinity,
      handler: { onMessage: (m, c) => void c.send(m) },
    });
    onCleanup(() => server.close());
    const [near, far] = createSocketPair();
    expect(server.accept(far, { remoteAddress: "127.0.0.3", remotePort: 4000 })).toBe(true);
    const client = new Connection(near, binary);
    onCleanup(() => client.destroy());
    const got = collect(client, 1);
    client.send(msg(5, "hi"));
    expect((await got)[0]?.sequence).toBe(5);
    const conn = [...server.connections()][0];
    expect(conn?.remoteAddress).toBe("127.0.0.3");
    expect(conn?.remotePort).toBe(4000);
  });

  it("applies the per-address limits by the given address; another address is served", async () => {
    const server = createServer({
      protocol: binary,
      rateLimit: Infinity,
      perAddress: { maxConcurrent: 2, ratePerSecond: Number.POSITIVE_INFINITY },
      handler: { onMessage: (m, c) => void c.send(m) },
    });
    onCleanup(() => server.close());
    const verdicts = Array.from({ length: 3 }, () => {
      const [, far] = createSocketPair();
      onCleanup(() => far.destroy());
      return server.accept(far, { remoteAddress: "127.0.0.2" });
    });
    expect(verdicts).toEqual([true, true, false]);
    expect(server.metrics.snapshot().connection_refused).toBe(1);
    const [near, far] = createSocketPair();
    expect(server.accept(far, { remoteAddress: "127.0.0.3" })).toBe(true);
    const user = new Connection(near, binary);
    onCleanup(() => user.destroy());
    const got = collect(user, 1);
    user.send(msg(9));
    expect((await got)[0]?.sequence).toBe(9);
  });

  it("destroys what arrives once the server is closing", async () => {
    const server = createServer({ protocol: binary });
    await server.close();
    const [, far] = createSocketPair();
    expect(server.accept(far)).toBe(false);
    await until(() => far.destroyed);
  });
});
