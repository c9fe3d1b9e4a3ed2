import diagnostics from "node:diagnostics_channel";
import { reply } from "@taurus/server";
import { afterEach, describe, expect, it } from "vitest";
import { createClient, type TaurusClient } from "./client";
import {
  CLIENT_CHANNELS,
  type ClientConnectMessage,
  type ClientReconnectMessage,
  type ClientRequestContext,
} from "./diagnostics";
import {
  freePort,
  onCleanup,
  rejection,
  runCleanups,
  seq,
  startServer,
  until,
} from "./fixtures/harness";
import type { SeqMessage } from "./fixtures/seq-protocol";

afterEach(runCleanups);

function client(port: number): TaurusClient<SeqMessage> {
  const c = createClient<SeqMessage>({
    address: `127.0.0.1:${port}`,
    protocol: seq,
    retryDelay: 10,
    maxRetryDelay: 20,
  });
  onCleanup(() => c.close());
  return c;
}

function record<T>(name: string): T[] {
  const seen: T[] = [];
  const listener = (message: unknown): void => {
    seen.push(message as T);
  };
  diagnostics.subscribe(name, listener);
  onCleanup(() => diagnostics.unsubscribe(name, listener));
  return seen;
}

type Event = [phase: string, context: ClientRequestContext];

function recordTrace(): Event[] {
  const events: Event[] = [];
  const handlers = {
    start: (c: ClientRequestContext) => events.push(["start", { ...c }]),
    end: (c: ClientRequestContext) => events.push(["end", { ...c }]),
    asyncStart: (c: ClientRequestContext) => events.push(["asyncStart", { ...c }]),
    asyncEnd: (c: ClientRequestContext) => events.push(["asyncEnd", { ...c }]),
    error: (c: ClientRequestContext) => events.push(["error", { ...c }]),
  };
  const trace = diagnostics.tracingChannel<unknown, ClientRequestContext>(CLIENT_CHANNELS.request);
  trace.subscribe(handlers);
  onCleanup(() => trace.unsubscribe(handlers));
  return events;
}

describe("diagnostics channels of the client", () => {
  it("traces request() on taurus:client:request: the reply, or the rejection", async () => {
    const srv = await startServer({
      handler: {
        onMessage: (m, conn) => {
          if (m.text !== "ignore") void reply(conn, m, { sequence: 0, text: `re:${m.text}` });
        },
      },
    });
    const c = client(srv.port);
    await c.connect();
    const events = recordTrace();
    const answer = await c.request({ sequence: 0, text: "a" });
    expect(answer.text).toBe("re:a");
    expect(events.map(([phase]) => phase)).toEqual(["start", "end", "asyncStart", "asyncEnd"]);
    expect(events[0]?.[1]).toEqual({ client: c, message: { sequence: 0, text: "a" } });
    expect(events[2]?.[1].result).toBe(answer);
    events.length = 0;
    const timedOut = await rejection(c.request({ sequence: 0, text: "ignore" }, { timeout: 20 }));
    expect(timedOut.code).toBe("REQUEST_TIMEOUT");
    expect(events.map(([phase]) => phase)).toEqual([
      "start",
      "end",
      "error",
      "asyncStart",
      "asyncEnd",
    ]);
    expect(events[2]?.[1].error).toBe(timedOut);
  });

  it("publishes taurus:client:reconnect for each scheduled retry and taurus:client:connect", async () => {
    const connects = record<ClientConnectMessage>(CLIENT_CHANNELS.connect);
    const retries = record<ClientReconnectMessage>(CLIENT_CHANNELS.reconnect);
    const port = await freePort();
    const c = client(port);
    const connected = c.connect();
    await until(() => retries.length >= 1, "a retry");
    expect(retries[0]?.client).toBe(c);
    expect(retries[0]?.attempt).toBe(1);
    expect(retries[0]?.delay).toBeGreaterThanOrEqual(0);
    expect(retries[0]?.error.code).toBe("SOCKET");
    await startServer({}, port);
    await connected;
    expect(connects).toHaveLength(1);
    expect(connects[0]?.client).toBe(c);
    expect(connects[0]?.connection).toBe(c.connection);
    expect(connects[0]?.reconnect).toBe(false);
  });
});
