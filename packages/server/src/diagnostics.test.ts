import diagnostics from "node:diagnostics_channel";
import type { BinaryMessage } from "@taurus/protocol-binary";
import { describe, expect, it } from "vitest";
import {
  SERVER_CHANNELS,
  type ServerCloseMessage,
  type ServerListeningMessage,
  type ServerMessageContext,
  type ServerRefusedMessage,
} from "./diagnostics";
import { collect, connectRaw, msg, onCleanup, startServer, until } from "./test-helpers";

/** Subscribes to `name` for the test; returns what was published. */
function record<T>(name: string): T[] {
  const seen: T[] = [];
  const listener = (message: unknown): void => {
    seen.push(message as T);
  };
  diagnostics.subscribe(name, listener);
  onCleanup(() => diagnostics.unsubscribe(name, listener));
  return seen;
}

type Event = [phase: string, context: ServerMessageContext];

/** Subscribes to the five channels of the message trace for the test. */
function recordTrace(): Event[] {
  const events: Event[] = [];
  const handlers = {
    start: (c: ServerMessageContext) => events.push(["start", { ...c }]),
    end: (c: ServerMessageContext) => events.push(["end", { ...c }]),
    asyncStart: (c: ServerMessageContext) => events.push(["asyncStart", { ...c }]),
    asyncEnd: (c: ServerMessageContext) => events.push(["asyncEnd", { ...c }]),
    error: (c: ServerMessageContext) => events.push(["error", { ...c }]),
  };
  const trace = diagnostics.tracingChannel<unknown, ServerMessageContext>(SERVER_CHANNELS.message);
  trace.subscribe(handlers);
  onCleanup(() => trace.unsubscribe(handlers));
  return events;
}

describe("diagnostics channels of the server", () => {
  it("traces a synchronous onMessage on taurus:server:message (start, end; error when it throws)", async () => {
    const events = recordTrace();
    const { port } = await startServer({
      handler: {
        onMessage(message, conn) {
          if (message.type === 9) throw new Error("boom");
          conn.send(message);
        },
      },
    });
    const conn = await connectRaw(port);
    const echoed = collect(conn, 1);
    conn.send(msg(1, "bad", 9));
    conn.send(msg(2, "good"));
    await echoed;
    await until(() => events.length >= 5);
    expect(events.map(([phase]) => phase)).toEqual(["start", "error", "end", "start", "end"]);
    expect((events[0]?.[1].message as BinaryMessage | undefined)?.sequence).toBe(1);
    expect(String(events[1]?.[1].error)).toContain("boom");
    expect(events[2]?.[1].async).toBeUndefined();
    expect((events[3]?.[1].message as BinaryMessage | undefined)?.sequence).toBe(2);
    expect(events[3]?.[1].connection.id).toBeTypeOf("string");
  });

  it("traces an async onMessage with asyncStart and asyncEnd once it settles", async () => {
    const events = recordTrace();
    const { port } = await startServer({
      handler: {
        async onMessage(message, conn) {
          await new Promise((r) => setImmediate(r));
          if (message.type === 9) throw new Error("late boom");
          conn.send(message);
          return undefined;
        },
      },
    });
    const conn = await connectRaw(port);
    const echoed = collect(conn, 1);
    conn.send(msg(1, "bad", 9));
    conn.send(msg(2, "good"));
    await echoed;
    await until(() => events.length >= 9);
    expect(events.map(([phase]) => phase)).toEqual([
      "start",
      "end",
      "error",
      "asyncStart",
      "asyncEnd",
      "start",
      "end",
      "asyncStart",
      "asyncEnd",
    ]);
    expect(events[1]?.[1].async).toBe(true);
    expect(String(events[2]?.[1].error)).toContain("late boom");
  });

  it("publishes taurus:server:listening, taurus:server:refused and taurus:server:close", async () => {
    const listening = record<ServerListeningMessage>(SERVER_CHANNELS.listening);
    const refused = record<ServerRefusedMessage>(SERVER_CHANNELS.refused);
    const closed = record<ServerCloseMessage>(SERVER_CHANNELS.close);
    const { server, port } = await startServer({ maxConnections: 1 });
    expect(listening).toEqual([{ server, address: server.address() }]);
    const legit = await connectRaw(port, "127.0.0.2");
    await until(() => server.connectionCount === 1);
    const attacker = await connectRaw(port, "127.0.0.3");
    await until(() => refused.length === 1);
    expect(refused[0]?.server).toBe(server);
    expect(refused[0]?.remoteAddress).toBe("127.0.0.3");
    expect(refused[0]?.remotePort).toBe(attacker.localPort);
    expect(refused[0]?.error.code).toBe("CONNECTION_LIMIT");
    expect(legit.state).toBe("open");
    const report = await server.close();
    expect(closed).toEqual([{ server, report }]);
  });
});
