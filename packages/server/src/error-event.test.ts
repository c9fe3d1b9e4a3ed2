import type { Connection, TaurusError } from "@taurus/core-conn";
import type { BinaryMessage } from "@taurus/protocol-binary";
import { describe, expect, it } from "vitest";
import { collect, connectRaw, msg, startServer, until } from "./test-helpers";

describe("the server's error channel", () => {
  it("reports each error to onError and to the error event alike, with the connection concerned", async () => {
    const fromHandler: Array<[string, string | undefined]> = [];
    const fromEvent: Array<[string, string | undefined]> = [];
    const { server, port } = await startServer({
      maxMessageSize: 64,
      handler: {
        onMessage(m, conn) {
          if (m.sequence === 2) throw new Error("boom");
          conn.send(m);
        },
        onError: (error, conn) => void fromHandler.push([error.code, conn?.id]),
      },
    });
    server.on("error", (error: TaurusError, conn: Connection<BinaryMessage> | undefined) => {
      fromEvent.push([error.code, conn?.id]);
    });
    const client = await connectRaw(port);
    const echoed = collect(client, 2);
    client.send(msg(1, "a"));
    client.send(msg(2, "b")); // the handler throws: HANDLER_FAILED
    client.send(msg(3, "x".repeat(100))); // dropped: MESSAGE_TOO_LARGE
    client.send(msg(4, "c")); // the sentinel: everything before it was handled
    expect((await echoed).map((m) => m.sequence)).toEqual([1, 4]);
    await until(() => fromEvent.length === 2);
    const [conn] = [...server.connections()];
    expect(fromEvent).toEqual([
      ["HANDLER_FAILED", conn?.id],
      ["MESSAGE_TOO_LARGE", conn?.id],
    ]);
    expect(fromHandler).toEqual(fromEvent);
  });

  it("does not throw without a listener, and a throwing listener does not stop the server", async () => {
    const { server, port } = await startServer({
      handler: {
        onMessage(m, conn) {
          if (m.sequence === 1) throw new Error("boom");
          conn.send(m);
        },
      },
    });
    const client = await connectRaw(port);
    const first = collect(client, 1);
    client.send(msg(1, "a")); // reported with no listener at all
    client.send(msg(2, "b"));
    expect((await first).map((m) => m.sequence)).toEqual([2]);
    let heard = 0;
    server.on("error", () => {
      heard++;
      throw new Error("a listener that throws");
    });
    const second = collect(client, 1);
    client.send(msg(1, "again"));
    client.send(msg(3, "c"));
    expect((await second).map((m) => m.sequence)).toEqual([3]);
    expect(heard).toBe(1);
    expect(server.stats.errorsByCode).toEqual({ HANDLER_FAILED: 2 });
  });
});
