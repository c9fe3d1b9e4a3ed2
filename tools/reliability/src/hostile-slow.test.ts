// Hostile peers against an echo server with default options: slowloris drippers,
// peers that never read, incomplete frames, and a pipelining client. Attackers
// connect from 127.0.0.2 (and 127.0.1.x), the legitimate user from 127.0.0.3.
import type net from "node:net";
import { DEFAULT_FRAME_TIMEOUT, DEFAULT_WRITE_TIMEOUT } from "@taurus/core-conn";
import { describe, expect, it } from "vitest";
import { binaryKit, closed, jsonKit, pool, record, scale, startServer, until } from "./harness";
import {
  attackerAddress,
  DEFAULTS,
  HOSTILE,
  sampleBudget,
  socketFrom,
  startUser,
  USER,
} from "./hostile";

/** Server-side connections from `address` right now. */
function from(
  h: { server: { connections(): IterableIterator<{ remoteAddress?: string }> } },
  address: string,
): number {
  let n = 0;
  for (const c of h.server.connections()) if (c.remoteAddress === address) n++;
  return n;
}

describe("hostile: slow peers", () => {
  it("slowloris: drippers get 32 slots per address at most and lose them to the frame deadline; the user is served", async () => {
    const kit = binaryKit;
    const frameTimeout = scale(800, DEFAULT_FRAME_TIMEOUT);
    const h = await startServer(kit, { ...DEFAULTS, frameTimeout });
    const budget = sampleBudget(h.server);
    const user = await startUser(kit, h.port);
    const addresses = scale(1, 8);
    const perAddress = scale(100, 125);
    const dripEvery = scale(50, 1000);
    const frame = kit.frame(1, "d".repeat(2000));
    let peakPerAddress = 0;
    const watch = setInterval(() => {
      for (let a = 0; a < addresses; a++) {
        peakPerAddress = Math.max(peakPerAddress, from(h, attackerAddress(a * 32)));
      }
    }, 5);
    const dripping: Array<{ socket: net.Socket; openedAt: number }> = [];
    const sockets = await pool(addresses * perAddress, 100, async (i) => {
      const socket = await socketFrom(h.port, attackerAddress(Math.floor(i / perAddress) * 32));
      let at = 0;
      const timer = setInterval(() => {
        if (!socket.destroyed && at < frame.length - 1) socket.write(frame.subarray(at, ++at));
      }, dripEvery);
      socket.once("close", () => clearInterval(timer));
      dripping.push({ socket, openedAt: performance.now() });
      return socket;
    });
    // Every dripper is refused or cut: none holds a slot past the frame deadline.
    const bound = frameTimeout + 2_000;
    const still = await Promise.all(
      sockets.map((s) =>
        closed(s, bound + 5_000).then(
          () => 0,
          () => 1,
        ),
      ),
    );
    clearInterval(watch);
    budget.stop();
    const report = await user.stop();
    const closes = h.closes.toJSON();
    const refused = h.server.metrics.snapshot().connection_refused;
    record("hostile-slowloris", {
      group: HOSTILE,
      title: "slowloris: drippers from one host (8 hosts in the stress run)",
      load: `${addresses * perAddress} connections, one byte per ${dripEvery} ms each, 1 user echoing every 20 ms`,
      faults: `frameTimeout ${frameTimeout} ms, per-address limits on (32 connections, 10/s)`,
      badInputs: "frames that never complete",
      lost: report.sent - report.received + still.reduce((a, b) => a + b, 0),
      lostUnit: "user echoes, and slots still held by a dripper",
      observed: {
        refused,
        closes,
        peakSlotsPerAddress: peakPerAddress,
        userRttMs: { p50: report.p50, p99: report.p99, max: report.max },
        peakBudgetBytes: budget.peak,
      },
    });
    expect(still.every((s) => s === 0)).toBe(true);
    expect(peakPerAddress).toBeLessThanOrEqual(32);
    expect(refused).toBeGreaterThan(0);
    expect(closes.FRAME_TIMEOUT).toBeGreaterThan(0);
    expect(report.closedWith).toBeUndefined();
    expect(report).toMatchObject({ received: report.sent, inOrder: true });
    expect(report.max).toBeLessThan(2_000);
  });

  it("peers that ask for echoes and never read are cut by the write deadline; memory stays within budget", async () => {
    const kit = binaryKit;
    const writeTimeout = scale(1_000, DEFAULT_WRITE_TIMEOUT);
    const h = await startServer(kit, { ...DEFAULTS, writeTimeout });
    const budget = sampleBudget(h.server);
    const user = await startUser(kit, h.port);
    const attackers = scale(16, 100);
    const frame = kit.frame(1, "n".repeat(60_000));
    const sockets = await pool(attackers, 50, async (i) => {
      // Spread over addresses: concurrency per address is not what this case is about.
      const socket = await socketFrom(h.port, attackerAddress(i, 8), false);
      socket.pause();
      // Writes requests while its own socket takes them, reads nothing.
      const pump = (): void => {
        while (!socket.destroyed && socket.write(frame));
      };
      socket.on("drain", pump);
      pump();
      return socket;
    });
    await until(
      () =>
        sockets.every((s) => s.destroyed || s.closed) || h.closes.get("SLOW_CONSUMER") >= attackers,
      writeTimeout * 4 + 20_000,
      "every non-reader cut",
    );
    budget.stop();
    const report = await user.stop();
    const cut = h.closes.get("SLOW_CONSUMER") + h.closes.get("MEMORY_BUDGET");
    record("hostile-never-reads", {
      group: HOSTILE,
      title: "peers that send echo requests and never read",
      load: `${attackers} peers writing 60 KB requests as fast as their socket takes them, 1 user`,
      faults: `writeTimeout ${writeTimeout} ms`,
      badInputs: "never reads its replies",
      lost: report.sent - report.received + (attackers - cut),
      lostUnit: "user echoes, and non-readers not cut",
      observed: {
        closes: h.closes.toJSON(),
        peakBudgetBytes: budget.peak,
        budgetLimitBytes: h.server.memoryBudget.limit,
        perPeerBoundBytes: 5 * 64 * 1024,
        userRttMs: { p50: report.p50, p99: report.p99, max: report.max },
      },
    });
    expect(cut).toBe(attackers);
    // Within the budget, and within the per-connection bound: a reader of two frames, the
    // queue, the high-water mark and one frame past it (5 x 64 KiB).
    expect(budget.peak).toBeLessThanOrEqual(h.server.memoryBudget.limit);
    expect(budget.peak).toBeLessThanOrEqual(attackers * 5 * 64 * 1024);
    expect(report).toMatchObject({ received: report.sent, inOrder: true, closedWith: undefined });
    expect(h.errors.get("SEND_QUEUE_FULL")).toBe(0);
  });

  it("incomplete frames: partial frames are bounded by the budget and cut by the frame deadline", async () => {
    const kit = jsonKit;
    const frameTimeout = scale(1_500, DEFAULT_FRAME_TIMEOUT);
    const memoryBudget = scale(2, 64) * 1024 * 1024;
    const h = await startServer(kit, {
      ...DEFAULTS,
      frameTimeout,
      memoryBudget,
    });
    const budget = sampleBudget(h.server);
    const user = await startUser(kit, h.port);
    const attackers = scale(64, 2000);
    const frame = kit.frame(1, "i".repeat(65_000));
    const started = performance.now();
    const sockets = await pool(attackers, 100, async (i) => {
      const socket = await socketFrom(h.port, attackerAddress(i), false);
      socket.write(frame.subarray(0, frame.length - 1));
      return socket;
    });
    await Promise.all(sockets.map((s) => closed(s, frameTimeout + 30_000).catch(() => {})));
    const seconds = (performance.now() - started) / 1000;
    budget.stop();
    const report = await user.stop();
    const closes = h.closes.toJSON();
    const open = sockets.filter((s) => !s.destroyed).length;
    record("hostile-incomplete-frames", {
      group: HOSTILE,
      title: "incomplete frames: all but the last byte of a 64 KiB frame",
      load: `${attackers} peers (32 per address), 1 user echoing every 20 ms`,
      faults: `memoryBudget ${memoryBudget / 2 ** 20} MiB, frameTimeout ${frameTimeout} ms`,
      badInputs: `${((attackers * frame.length) / 2 ** 20).toFixed(0)} MiB of partial frames offered`,
      lost: report.sent - report.received + open,
      lostUnit: "user echoes, and partial frames still held",
      observed: {
        closes,
        refused: h.server.metrics.snapshot().connection_refused,
        peakBudgetBytes: budget.peak,
        budgetLimitBytes: memoryBudget,
        seconds: Math.round(seconds * 10) / 10,
        userRttMs: { p50: report.p50, p99: report.p99, max: report.max },
      },
    });
    expect(open).toBe(0);
    expect(budget.peak).toBeLessThanOrEqual(memoryBudget);
    expect((closes.MEMORY_BUDGET ?? 0) + (closes.FRAME_TIMEOUT ?? 0)).toBeGreaterThan(0);
    expect(report).toMatchObject({ received: report.sent, inOrder: true, closedWith: undefined });
    expect(report.max).toBeLessThan(3_000);
  });

  it("pipelining: every frame of one huge write gets its reply, none refused", async () => {
    const kit = binaryKit;
    // Rate limits are not under test: the point is the server's own send queue.
    const h = await startServer(kit, {
      rateLimit: Number.POSITIVE_INFINITY,
      perAddress: { messagesPerSecond: Number.POSITIVE_INFINITY },
    });
    const clients = scale(1, 4);
    const frames = scale(10_000, 100_000);
    const one = kit.frame(1, "");
    const results = await Promise.all(
      Array.from({ length: clients }, async (_, c) => {
        const socket = await socketFrom(h.port, c === 0 ? USER : `127.0.0.${4 + c}`, false);
        let bytes = 0;
        socket.on("data", (chunk: Buffer) => {
          bytes += chunk.length;
        });
        socket.resume();
        const all = Buffer.concat(Array.from({ length: frames }, (_, i) => kit.frame(i + 1, "")));
        socket.write(all);
        await until(() => bytes >= one.length * frames, 60_000, "every reply");
        return bytes / one.length;
      }),
    );
    record("hostile-pipelining", {
      group: HOSTILE,
      title: "pipelining: many frames in one write",
      load: `${clients} client(s) x ${frames} binary frames in one write`,
      faults: "none",
      badInputs: "none",
      lost: results.reduce((a, r) => a + (frames - r), 0),
      lostUnit: "replies",
      observed: { replies: results, errorsByCode: h.errors.toJSON() },
    });
    expect(results).toEqual(Array(clients).fill(frames));
    expect(h.errors.get("SEND_QUEUE_FULL")).toBe(0);
  });
});
