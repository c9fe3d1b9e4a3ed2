// Session buffers count in the server's memory budget: a client that takes a session and
// never acknowledges cannot make the server hold its messages past the budget, and the
// budget ends that session (reported lost), not the users' connections.
import type { Connection } from "@taurus/core-conn";
import { until } from "@taurus/core-conn/testing";
import type { BinaryMessage } from "@taurus/protocol-binary";
import { describe, expect, it } from "vitest";
import { connectRaw, msg, sessionPeer, startServer } from "../test-helpers";
import { MemorySessionStore } from "./store";

describe("session buffers in the memory budget", () => {
  it("end the session of a client on 127.0.0.2 that never acknowledges; a user on 127.0.0.3 is served", async () => {
    const lost: unknown[] = [];
    const conns = new Map<string, Connection<BinaryMessage>>();
    const { port, server } = await startServer({
      sessions: { maxBufferedMessages: 10_000, maxBufferedBytes: 16 * 1024 * 1024 },
      memoryBudget: 256 * 1024,
      perAddress: false,
    });
    server.on("sessionLost", (info) => void lost.push(info));
    server.on("sessionStarted", (_i, c) => void conns.set(c.remoteAddress ?? "", c));
    const attacker = sessionPeer(await connectRaw(port, "127.0.0.2"));
    attacker.say(3, { v: 1 });
    const user = sessionPeer(await connectRaw(port, "127.0.0.3"), { ack: true });
    user.say(3, { v: 1 });
    await until(() => conns.size === 2, { what: "two sessions" });
    const a = conns.get("127.0.0.2") as Connection<BinaryMessage>;
    const u = conns.get("127.0.0.3") as Connection<BinaryMessage>;
    const big = "x".repeat(4096);
    let sent = 0;
    for (let i = 1; i <= 200 && a.state === "open"; i++) {
      // The attacker reads (its send queue drains) but never acknowledges: its session holds it all.
      a.send(msg(i, big));
      sent++;
      await until(() => attacker.data.length === i || a.state !== "open", { what: `frame ${i}` });
      u.send(msg(i));
    }
    await until(() => lost.length === 1, { what: "the attacker's session ended" });
    expect(lost[0]).toMatchObject({ reason: "overflow" });
    expect(sent).toBeLessThan(200); // ended before all 800 KiB were held
    await until(() => attacker.controls.some((f) => f.kind === 8), { what: "lost, told" });
    expect(server.memoryBudget.used).toBeLessThanOrEqual(256 * 1024);
    // The user goes on: everything sent to it arrives, its session intact.
    u.send(msg(9999));
    await until(() => user.data.includes(9999), { what: "the user's sentinel" });
    expect(user.data).toEqual([...Array.from({ length: sent }, (_, i) => i + 1), 9999]);
    expect(u.state).toBe("open");
  });

  it("refuse to restore a stored session whose buffer alone passes the budget: lost, told, and a new session starts", async () => {
    const store = new MemorySessionStore({ shared: true }); // as Redis would be
    const frame = new Uint8Array(64 * 1024);
    await store.create({
      id: "S".repeat(22),
      received: 0,
      sent: 8,
      acknowledged: 0,
      pending: Array.from({ length: 8 }, () => frame), // 512 KiB
      address: "127.0.0.2",
      expiresAt: 0,
    });
    const lost: unknown[] = [];
    const { port, server } = await startServer({
      sessions: { store, maxBufferedBytes: 1024 * 1024 },
      memoryBudget: 256 * 1024,
      perAddress: false,
    });
    server.on("sessionLost", (info) => void lost.push(info));
    const p = sessionPeer(await connectRaw(port, "127.0.0.2"));
    p.say(3, { v: 1, id: "S".repeat(22), received: 0 });
    await until(() => p.controls.length === 2, { what: "lost, then welcome" });
    expect(p.controls.map((f) => f.kind)).toEqual([8, 4]);
    expect(p.controls[0]?.payload).toMatchObject({ reason: "overflow" });
    expect(p.controls[1]?.payload).toMatchObject({ resumed: false });
    expect(lost).toEqual([expect.objectContaining({ reason: "overflow", unacknowledged: 8 })]);
    expect(server.memoryBudget.used).toBeLessThan(256 * 1024);
  });
});
