import net from "node:net";
import type { BinaryMessage } from "@taurus/protocol-binary";
import { describe, expect, it } from "vitest";
import { createLocalAdapter } from "./local-adapter";
import { createServer, type TaurusServer } from "./server";
import type { ShutdownReport } from "./server-types";
import { binary, collect, connectRaw, msg, onCleanup, startServer, until } from "./test-helpers";

function server(config: Partial<Parameters<typeof createServer<BinaryMessage>>[0]> = {}) {
  const s = createServer<BinaryMessage>({ protocol: binary, rateLimit: Infinity, ...config });
  onCleanup(() => s.close());
  return s;
}

/** Whether something accepts connections on 127.0.0.1:port. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

describe("server disposal and cancellation", () => {
  it("await using closes it gracefully: a connected peer gets its reply, then the end", async () => {
    let port = 0;
    let scopedServer: TaurusServer<BinaryMessage> | undefined;
    const closed: ShutdownReport[] = [];
    let conn: Awaited<ReturnType<typeof connectRaw>> | undefined;
    {
      await using s = server({ handler: { onMessage: (m, c) => void c.send(m) } });
      scopedServer = s;
      s.on("close", (report) => closed.push(report));
      port = (await s.listen(0, "127.0.0.1")).port;
      conn = await connectRaw(port);
      const echoed = collect(conn, 1);
      conn.send(msg(1, "hi"));
      expect((await echoed)[0]?.sequence).toBe(1);
    }
    expect(closed).toEqual([{ closed: 1, forced: 0, discarded: [] }]);
    expect(scopedServer.address()).toBeUndefined();
    expect(await accepts(port)).toBe(false);
    await until(() => conn?.state === "closed");
  });

  it("listen() rejects with ABORTED and the server closes when its signal aborts first", async () => {
    const s = server();
    const reason = new Error("not now");
    await expect(
      s.listen(0, "127.0.0.1", { signal: AbortSignal.abort(reason) }),
    ).rejects.toMatchObject({ code: "ABORTED", cause: reason });
    const t = server();
    const controller = new AbortController();
    const listening = t.listen(0, "127.0.0.1", { signal: controller.signal });
    controller.abort();
    await expect(listening).rejects.toMatchObject({ code: "ABORTED" });
    expect(await t.close()).toEqual({ closed: 0, forced: 0, discarded: [] });
    await until(() => t.address() === undefined);
    await expect(t.listen(0, "127.0.0.1")).rejects.toMatchObject({ code: "CONNECTION_CLOSED" });
  });

  it("a listen signal aborted once listening closes the server gracefully", async () => {
    const s = server();
    const controller = new AbortController();
    const { port } = await s.listen(0, "127.0.0.1", { signal: controller.signal });
    const conn = await connectRaw(port);
    await until(() => s.connectionCount === 1);
    const closed = new Promise<ShutdownReport>((resolve) => s.once("close", resolve));
    controller.abort();
    expect(await closed).toEqual({ closed: 1, forced: 0, discarded: [] });
    await until(() => conn.state === "closed");
    expect(await accepts(port)).toBe(false);
  });

  it("aborting close()'s signal turns the graceful shutdown into an immediate one", async () => {
    // A handler that never settles would hold the shutdown for the whole shutdownTimeout.
    const { server: s, port } = await startServer({
      shutdownTimeout: 600_000,
      handler: { onMessage: () => new Promise<void>(() => {}) },
    });
    const stuck = await connectRaw(port, "127.0.0.2");
    stuck.send(msg(1, "never answered"));
    await until(() => s.metrics.messagesReceived.value === 1);
    const controller = new AbortController();
    const closing = s.close({ signal: controller.signal });
    expect(s.close()).toBe(closing);
    controller.abort();
    const report = await closing;
    expect(report.closed).toBe(0);
    expect(report.forced).toBe(1);
    expect(report.discarded.map((d) => d.remoteAddress)).toEqual(["127.0.0.2"]);
    await until(() => stuck.state === "closed");
  });

  it("close() with an already aborted signal forces at once", async () => {
    const { server: s, port } = await startServer({
      shutdownTimeout: 600_000,
      handler: { onMessage: () => new Promise<void>(() => {}) },
    });
    const stuck = await connectRaw(port);
    stuck.send(msg(1, "never answered"));
    await until(() => s.metrics.messagesReceived.value === 1);
    expect((await s.close({ signal: AbortSignal.abort() })).forced).toBe(1);
  });

  it("destroy() resets every connection at once, handlers in flight or not", async () => {
    const { server: s, port } = await startServer({
      shutdownTimeout: 600_000,
      handler: {
        onMessage(m, conn) {
          if (m.sequence === 1) return new Promise<void>(() => {}); // never settles
          conn.send(m);
        },
      },
    });
    const stuck = await connectRaw(port, "127.0.0.2");
    const quiet = await connectRaw(port, "127.0.0.3");
    stuck.send(msg(1, "never answered"));
    const echoed = collect(quiet, 1);
    quiet.send(msg(2, "answered"));
    await echoed;
    await until(() => s.metrics.messagesReceived.value === 2);
    const report = await s.destroy();
    expect(report.closed).toBe(0);
    expect(report.forced).toBe(2);
    expect(report.discarded.map((d) => d.remoteAddress).sort()).toEqual(["127.0.0.2", "127.0.0.3"]);
    expect(s.destroy()).toBe(s.close()); // the same shutdown
    await until(() => stuck.state === "closed" && quiet.state === "closed");
    expect(await accepts(port)).toBe(false);
  });

  it("await using closes a local adapter", async () => {
    let adapter: ReturnType<typeof createLocalAdapter> | undefined;
    {
      await using scoped = createLocalAdapter();
      adapter = scoped;
      scoped.join("room", () => {});
    }
    expect(() => adapter?.join("room", () => {})).toThrow(
      expect.objectContaining({ code: "CONNECTION_CLOSED" }),
    );
  });
});
