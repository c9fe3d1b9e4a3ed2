import { afterEach, describe, expect, it } from "vitest";
import { createClient, type TaurusClient } from "./client";
import {
  freePort,
  onCleanup,
  rejection,
  runCleanups,
  seq,
  startRawServer,
  startServer,
  until,
} from "./fixtures/harness";
import type { SeqMessage } from "./fixtures/seq-protocol";

afterEach(runCleanups);

function client(port: number, options: { closeTimeout?: number } = {}): TaurusClient<SeqMessage> {
  const c = createClient<SeqMessage>({
    address: `127.0.0.1:${port}`,
    protocol: seq,
    retryDelay: 10,
    maxRetryDelay: 20,
    ...options,
  });
  onCleanup(() => c.close());
  return c;
}

describe("client disposal and cancellation", () => {
  it("await using closes it gracefully: what was sent reaches the server", async () => {
    const srv = await startServer();
    let scoped: TaurusClient<SeqMessage> | undefined;
    {
      await using c = client(srv.port);
      scoped = c;
      await c.connect();
      c.send({ sequence: 0, text: "last words" });
    }
    expect(scoped.state).toBe("closed");
    await until(() => srv.received.length === 1, "the message");
    expect(srv.received[0]?.text).toBe("last words");
  });

  it("connect() rejects with ABORTED and the client closes when its signal aborts", async () => {
    const port = await freePort(); // nothing listens: the client keeps retrying
    const c = client(port);
    const controller = new AbortController();
    const reason = new Error("gave up");
    const connecting = c.connect({ signal: controller.signal });
    await until(() => c.state === "reconnecting", "a retry");
    controller.abort(reason);
    const error = await rejection(connecting);
    expect(error.code).toBe("ABORTED");
    expect(error.cause).toBe(reason);
    await until(() => c.state === "closed", "the close");
    const late = client(port);
    await expect(late.connect({ signal: AbortSignal.abort() })).rejects.toMatchObject({
      code: "ABORTED",
    });
    expect(late.state).not.toBe("connected");
  });

  it("a connect signal is not watched once connected", async () => {
    const srv = await startServer();
    const c = client(srv.port);
    const controller = new AbortController();
    await c.connect({ signal: controller.signal });
    controller.abort();
    expect(c.state).toBe("connected");
    await expect(c.connect({ signal: controller.signal })).resolves.toBeUndefined();
    c.send({ sequence: 0, text: "still here" });
    await until(() => srv.received.length === 1, "the message");
  });

  it("aborting close()'s signal closes the connection at once", async () => {
    // A server that never ends its side: a graceful close would wait for closeTimeout.
    const port = await startRawServer(() => {});
    const c = client(port, { closeTimeout: 600_000 });
    await c.connect();
    const controller = new AbortController();
    const closing = c.close({ signal: controller.signal });
    expect(c.close()).toBe(closing);
    controller.abort();
    await closing;
    expect(c.state).toBe("closed");
  });

  it("destroy() closes the connection at once, where close() would wait for the server", async () => {
    const port = await startRawServer(() => {}); // never ends its side
    const c = client(port, { closeTimeout: 600_000 });
    await c.connect();
    expect(await c.destroy()).toEqual({ discarded: 0, rejectedRequests: 0 });
    expect(c.state).toBe("closed");
    expect(await c.close()).toEqual({ discarded: 0, rejectedRequests: 0 }); // the same close
  });

  it("destroy() discards what was accepted and never written, and says so", async () => {
    const port = await freePort(); // nothing listens: the messages wait in the offline queue
    const c = client(port);
    const connecting = c.connect().catch((err: unknown) => err);
    c.send({ sequence: 1, text: "a" });
    c.send({ sequence: 2, text: "b" });
    c.send({ sequence: 3, text: "c" });
    expect(await c.destroy()).toEqual({ discarded: 3, rejectedRequests: 0 });
    expect(c.stats.discarded).toBe(3);
    expect(await connecting).toMatchObject({ code: "CONNECTION_CLOSED" });
  });
});
