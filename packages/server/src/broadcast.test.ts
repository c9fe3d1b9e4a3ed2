import type { Connection } from "@taurus/core-conn";
import type { BinaryMessage } from "@taurus/protocol-binary";
import { describe, expect, it } from "vitest";
import { collect, connectRaw, msg, startServer, until } from "./test-helpers";

describe("broadcast", () => {
  it("encodes once and delivers to 1000 connections, except the sender", async () => {
    const { server, port } = await startServer({ maxConnections: 1001 });
    const clients: Connection<BinaryMessage>[] = [];
    for (let i = 0; i < 1000; i++) clients.push(await connectRaw(port));
    await until(() => server.connectionCount === 1000);
    const encode = server.protocol.encode;
    let encodes = 0;
    server.protocol.encode = (m) => {
      encodes++;
      return encode(m);
    };
    const sender = [...server.connections()][0]!;
    const receivers = clients.map((c) => collect(c, 1));
    const result = server.broadcast(msg(77, "to all"), { except: sender });
    server.protocol.encode = encode;
    expect(encodes).toBe(1);
    expect(result).toEqual({ sent: 999, failed: 0 });
    // Every client but the one the sender's server-side connection belongs to gets it.
    await until(() => clients.filter((c) => c.stats.messagesIn === 1).length === 999);
    const got = await Promise.race([
      Promise.all(receivers.filter((_, i) => clients[i]!.stats.messagesIn === 1)),
    ]);
    expect(got.every(([m]) => m?.sequence === 77)).toBe(true);
    expect(clients.filter((c) => c.stats.messagesIn === 0)).toHaveLength(1);
  }, 30_000);

  it("leaves out the connection whose id string is given, and none for an id it does not have", async () => {
    const { server, port } = await startServer();
    const clients = [await connectRaw(port), await connectRaw(port), await connectRaw(port)];
    await until(() => server.connectionCount === 3);
    const [first] = [...server.connections()];
    expect(server.broadcast(msg(1, "a"), { except: first!.id })).toEqual({ sent: 2, failed: 0 });
    expect(server.broadcast(msg(2, "b"), { except: "no-such-id" })).toEqual({ sent: 3, failed: 0 });
    expect(server.broadcast(msg(3, "c"), { except: `${first!.id}0` })).toEqual({
      sent: 3,
      failed: 0,
    });
    await until(() => clients.reduce((n, c) => n + c.stats.messagesIn, 0) === 8);
    expect(clients.map((c) => c.stats.messagesIn).sort()).toEqual([2, 3, 3]);
  });

  it("refuses an oversized broadcast before sending anything", async () => {
    const { server, port } = await startServer({ maxMessageSize: 100 });
    const client = await connectRaw(port);
    await until(() => server.connectionCount === 1);
    expect(() => server.broadcast(msg(1, "x".repeat(200)))).toThrow(
      expect.objectContaining({ code: "MESSAGE_TOO_LARGE" }),
    );
    expect(client.stats.messagesIn).toBe(0);
  });
});
