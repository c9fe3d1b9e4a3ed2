// close() says what it gave up on: nothing accepted by send() disappears unannounced.
import { afterEach, describe, expect, it } from "vitest";
import { createClient } from "./client";
import { freePort, onCleanup, rejection, runCleanups, seq, startServer } from "./fixtures/harness";

afterEach(runCleanups);

describe("close() report", () => {
  it("counts the messages and requests it discards when no server was ever reached", async () => {
    const port = await freePort();
    const client = createClient({
      address: `127.0.0.1:${port}`,
      protocol: seq,
      retryDelay: 60_000,
    });
    onCleanup(() => client.close());
    void client.connect().catch(() => {});
    for (let i = 1; i <= 3; i++) client.send({ sequence: i, text: `m${i}` });
    const reply = rejection(client.request({ sequence: 0, text: "q" }));
    const report = await client.close();
    expect(report).toEqual({ discarded: 4, rejectedRequests: 1 });
    expect((await reply).code).toBe("CONNECTION_CLOSED");
    expect(client.stats.discarded).toBe(4);
  });

  it("reports nothing discarded when everything reached the server", async () => {
    const srv = await startServer();
    const client = createClient({ address: `127.0.0.1:${srv.port}`, protocol: seq });
    onCleanup(() => client.close());
    await client.connect();
    for (let i = 1; i <= 3; i++) client.send({ sequence: i, text: `m${i}` });
    expect(await client.close()).toEqual({ discarded: 0, rejectedRequests: 0 });
    expect(srv.received.map((m) => m.text)).toEqual(["m1", "m2", "m3"]);
  });
});
