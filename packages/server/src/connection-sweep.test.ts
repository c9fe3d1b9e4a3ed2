// A server sweeps its connections' deadlines itself, as one member of the process's
// sweeper (issue 18: no sweeper entry per idle connection); the deadlines still fire,
// one connection's throwing close listener spares the others, and the member leaves
// with the last connection.
import net from "node:net";
import { sweeper } from "@taurus/core-conn/internal";
import { describe, expect, it } from "vitest";
import { onCleanup, startServer, until } from "./test-helpers";

/** A plain socket from `localAddress` (no Connection of its own in this process). */
async function raw(port: number, localAddress: string): Promise<net.Socket> {
  const socket = net.connect({ host: "127.0.0.1", port, localAddress });
  socket.on("error", () => {});
  onCleanup(() => socket.destroy());
  await new Promise<void>((r) => socket.once("connect", r));
  return socket;
}

describe("the server's sweep of its connections", () => {
  it("is one sweeper member for all of them; idle deadlines fire; it leaves with the last", async () => {
    const before = sweeper.size;
    const { server, port } = await startServer({
      idleTimeout: 300,
      handler: {
        onConnect: (conn) => {
          // A listener that throws on one connection's close must not spare the others.
          if (conn.remoteAddress === "127.0.0.2")
            conn.on("close", () => {
              throw new Error("listener bug");
            });
        },
      },
    });
    const silent = await Promise.all(
      ["127.0.0.2", "127.0.0.3", "127.0.0.4"].map((a) => raw(port, a)),
    );
    await until(() => server.connectionCount === 3);
    expect(sweeper.size).toBe(before + 1);
    const saved = process.listeners("uncaughtException");
    process.removeAllListeners("uncaughtException");
    const uncaught: unknown[] = [];
    process.on("uncaughtException", (e) => uncaught.push(e));
    try {
      await until(() => silent.every((s) => s.readableEnded || s.destroyed), {
        what: "every idle connection closed by the server",
      });
      expect(server.connectionCount).toBe(0);
      expect(uncaught).toHaveLength(1);
    } finally {
      process.removeAllListeners("uncaughtException");
      for (const l of saved) process.on("uncaughtException", l);
    }
    await until(() => sweeper.size === before, { what: "the sweep leaving the sweeper" });
  });
});
