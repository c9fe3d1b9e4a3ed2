// When the browser client acknowledges: every `ackEvery` delivered messages, and the rest
// within `ackInterval`, also after an acknowledgement by count and again once the
// interval's timer fired (it stays armed rather than being created per acknowledgement).
import type { Connection } from "@taurus/core-conn";
import type { BinaryMessage } from "@taurus/protocol-binary";
import { describe, expect, it } from "vitest";
import { msg, client as startClient, startCutProxy, startEcho, until } from "./test-helpers";

describe("WebClient session acknowledgements", () => {
  it("acknowledge by count and within the interval, every time: a resume after a cut replays nothing", async () => {
    const { server, port } = await startEcho(0, { sessions: true, perAddress: false, handler: {} });
    let conn: Connection<BinaryMessage> | undefined;
    server.on("sessionStarted", (_info, c) => {
      conn = c;
    });
    const replayed: number[] = [];
    server.on("sessionResumed", (info) => void replayed.push(info.replayed));
    const proxy = await startCutProxy(port);
    const got: number[] = [];
    const c = startClient(proxy.url, {
      session: { ackEvery: 2, ackInterval: 30 },
      heartbeatInterval: 0, // the only control frames from the client: its hello and its acks
    });
    c.on("message", (m) => void got.push(m.sequence));
    await c.connect();
    await until(() => conn !== undefined, { what: "the session" });
    const live = conn as Connection<BinaryMessage>;
    for (let i = 1; i <= 3; i++) live.send(msg(i));
    // The hello, then an acknowledgement at 2 (by count) and at 3 (by the interval).
    await until(() => got.length === 3 && live.stats.keepalivesIn >= 3, { what: "two acks" });
    live.send(msg(4));
    await until(() => live.stats.keepalivesIn >= 4, { what: "the fourth acknowledged" });
    expect(live.stats.keepalivesIn).toBe(4);
    proxy.cut();
    await until(() => replayed.length === 1, { what: "the resume" });
    // Everything was acknowledged before the cut: nothing to replay, nothing seen twice.
    expect(replayed).toEqual([0]);
    expect(got).toEqual([1, 2, 3, 4]);
  });
});
