// Hostile peers that flood: one host taking every slot, one host flooding a room
// from many connections, and deeply nested JSON. Default options unless stated;
// attackers on 127.0.0.2 (127.0.1.x), legitimate users on 127.0.0.3 and up.
import type { Connection } from "@taurus/core-conn";
import { createJsonProtocol } from "@taurus/protocol-json";
import type { TaurusServer } from "@taurus/server";
import { describe, expect, it } from "vitest";
import {
  binaryKit,
  jsonKit,
  type Kit,
  rawJsonFrame,
  record,
  scale,
  sleep,
  startServer,
  until,
} from "./harness";
import {
  connectionFrom,
  DEFAULTS,
  HOSTILE,
  sampleLag,
  socketFrom,
  startUser,
  USER,
} from "./hostile";

const ATTACKER = "127.0.0.2";

describe("hostile: floods", () => {
  it("one host cannot take every slot: 32 connections per address; users from elsewhere get in", async () => {
    const kit = binaryKit;
    const h = await startServer(kit, { ...DEFAULTS });
    const tries = scale(200, 1000);
    const duration = scale(2_500, 10_000);
    let peak = 0;
    const started = performance.now();
    let attempts = 0;
    // The attacker opens connection after connection for `duration` ms, holding all it gets.
    while (performance.now() - started < duration && attempts < tries) {
      attempts++;
      await socketFrom(h.port, ATTACKER).catch(() => undefined);
      let held = 0;
      for (const c of h.server.connections()) if (c.remoteAddress === ATTACKER) held++;
      peak = Math.max(peak, held);
      if (attempts % 10 === 0) await sleep(50);
    }
    const users = await Promise.all(
      [USER, "127.0.0.4", "127.0.0.5"].map((a) => startUser(kit, h.port, a)),
    );
    await sleep(300);
    const reports = await Promise.all(users.map((u) => u.stop()));
    const snap = h.server.metrics.snapshot();
    record("hostile-one-host-slots", {
      group: HOSTILE,
      title: "one host opening connections without end",
      load: `${attempts} connection attempts from one address over ${duration} ms, then 3 users`,
      faults: "none",
      badInputs: "none",
      lost: reports.reduce((n, r) => n + r.sent - r.received, 0),
      lostUnit: "user echoes",
      observed: {
        peakHeldByAttacker: peak,
        accepted: snap.total_connections,
        refused: snap.connection_refused,
      },
    });
    expect(peak).toBeLessThanOrEqual(32);
    expect(peak).toBeGreaterThan(0);
    expect(snap.connection_refused).toBe(attempts - (snap.total_connections - 3));
    for (const r of reports) {
      expect(r).toMatchObject({ received: r.sent, inOrder: true, closedWith: undefined });
    }
  });

  it("one host flooding a room from 50 connections gets 200 messages/s in all; users lose nothing", async () => {
    const kit = binaryKit;
    let server: TaurusServer<ReturnType<typeof kit.message>> | undefined;
    const perSender = new Map<string, number>();
    const h = await startServer(kit, {
      ...DEFAULTS,
      onMessage: (m, conn) => {
        const from = conn.remoteAddress ?? "";
        perSender.set(from, (perSender.get(from) ?? 0) + 1);
        server?.broadcast(m);
      },
    });
    server = h.server;
    const attackers: Array<Connection<ReturnType<typeof kit.message>>> = [];
    for (let i = 0; i < 50; i++) {
      const c = await connectionFrom(kit, h.port, ATTACKER).catch(() => undefined);
      if (c) attackers.push(c);
      if (i % 10 === 9) await sleep(250);
    }
    // Connected at the TCP level; the refused ones are closed by the server at once.
    await sleep(100);
    const accepted = attackers.filter((a) => a.state === "open");
    const userAddresses = [USER, "127.0.0.4", "127.0.0.5"];
    const users = await Promise.all(userAddresses.map((a) => connectionFrom(kit, h.port, a)));
    const seated = (): number =>
      [...h.server.connections()].filter((c) => userAddresses.includes(c.remoteAddress ?? ""))
        .length;
    await until(() => seated() === users.length, 5_000, "users accepted by the server");
    const got = users.map(() => new Set<string>());
    for (const [i, u] of users.entries()) {
      u.on("message", (m) => {
        if (kit.text(m).startsWith("u")) got[i]?.add(kit.text(m));
      });
    }
    const duration = scale(2_000, 10_000);
    const flood = setInterval(() => {
      for (const a of accepted) {
        for (let k = 0; k < 20 && a.state === "open"; k++) {
          try {
            a.send(kit.message(1, "flood"));
          } catch {
            break;
          }
        }
      }
    }, 5);
    const sent: string[] = [];
    const started = performance.now();
    const handledBefore = perSender.get(ATTACKER) ?? 0;
    while (performance.now() - started < duration) {
      for (const [i, u] of users.entries()) {
        const text = `u${i}-${sent.length}`;
        u.send(kit.message(1, text));
        sent.push(text);
      }
      await sleep(50);
    }
    const seconds = (performance.now() - started) / 1000;
    const floodRate = ((perSender.get(ATTACKER) ?? 0) - handledBefore) / seconds;
    clearInterval(flood);
    // What they still queued would be read at 200/s: the attackers leave instead.
    for (const a of accepted) a.destroy();
    await until(
      () => got.every((g) => g.size === sent.length),
      20_000,
      "users got every user message",
    ).catch(() => {});
    const lost = got.reduce((n, g) => n + sent.length - g.size, 0);
    record("hostile-room-flood", {
      group: HOSTILE,
      title: "one host flooding a room from 50 connections",
      load: `${attackers.length} attacker connections (${accepted.length} accepted) sending without pause, 3 users sending every 50 ms for ${duration} ms`,
      faults: "none",
      badInputs: "none",
      lost,
      lostUnit: "user messages not delivered to every user",
      observed: {
        attackerConnectionsAccepted: accepted.length,
        errorsByCode: h.errors.toJSON(),
        closes: h.closes.toJSON(),
        attackerMessagesPerSecond: Math.round(floodRate),
        refused: h.server.metrics.snapshot().connection_refused,
      },
    });
    expect(lost).toBe(0);
    // 200/s shared by the address, its burst of 200 spread over the run, and a margin.
    expect(floodRate).toBeLessThanOrEqual(200 + 200 / seconds + 20);
    expect(accepted.length).toBeLessThanOrEqual(32);
  });

  it("deeply nested JSON is dropped before parsing; the others' round trips stay short", async () => {
    const after = await deepJsonRun(jsonKit, {}, scale(1_500, 10_000), 65_000);
    const runs: Record<string, DeepRun> = { after };
    if (scale(false, true)) {
      // The defaults before this change: 1 MiB frames, no depth limit, no per-address or
      // bytes-per-second limits.
      const legacy: Kit<ReturnType<typeof jsonKit.message>> = {
        ...jsonKit,
        protocol: createJsonProtocol({ maxDepth: Number.POSITIVE_INFINITY }),
      };
      runs.before = await deepJsonRun(
        legacy,
        {
          maxMessageSize: 1024 * 1024,
          perAddress: false,
          inboundBytesPerSecond: Number.POSITIVE_INFINITY,
          sendQueueBytes: 16 * 1024 * 1024,
        },
        10_000,
        1_000_000,
      );
    }
    record("hostile-deep-json", {
      group: HOSTILE,
      title: "deeply nested JSON bodies (before: no depth limit, old limits; after: defaults)",
      load: "32 attacker connections sending nested frames at their limit, 1 user echoing every 20 ms",
      faults: "none",
      badInputs: "frames of [[[...]]] as deep as the frame allows",
      lost: after.user.sent - after.user.received,
      lostUnit: "user echoes (after)",
      observed: runs,
    });
    expect(after.user).toMatchObject({ received: after.user.sent, inOrder: true });
    expect(after.dropped).toBeGreaterThan(0);
    // The defence itself: no deep body got past the decoder to the handler.
    expect(after.parsedDeep).toBe(0);
    // Round trips: 500 ms in the stress run, which runs alone. The fast run shares the two
    // cores with another file of this suite and another test task; there a clean-clone run
    // saw the whole process starved (event loop lag 502 ms, the user's p50 152 ms, p99
    // 556 ms), so it asserts the 2 s the other hostile cases call served. Without the
    // defence, round trips took 7 to 24 s (docs/RELIABILITY.md): either bound tells them apart.
    expect(after.user.p99).toBeLessThan(scale(2_000, 500));
  });
});

interface DeepRun {
  user: { sent: number; received: number; inOrder: boolean; p50: number; p99: number; max: number };
  dropped: number;
  parsedDeep: number;
  frameBytes: number;
  loopLagMs: { max: number; p99: number };
}

async function deepJsonRun(
  kit: typeof jsonKit,
  options: Record<string, unknown>,
  duration: number,
  frameBytes: number,
): Promise<DeepRun> {
  // The attacked server only counts what it parses; the user talks to an echo server of the
  // same process, so whatever the attack costs the event loop shows in the user's round trips.
  const h = await startServer(kit, {
    ...DEFAULTS,
    ...options,
    onMessage: () => {},
  });
  const depth = Math.floor((frameBytes - 80) / 2);
  const body = Buffer.from(
    `{"type":2,"sequence":1,"data":{"x":${"[".repeat(depth)}${"]".repeat(depth)}},"timestamp":1}`,
  );
  const frame = rawJsonFrame(body);
  const echo = await startServer(kit, { ...DEFAULTS, ...options });
  const user = await startUser(kit, echo.port);
  const lag = sampleLag();
  const attackers = await Promise.all(
    Array.from({ length: 32 }, () => socketFrom(h.port, ATTACKER)),
  );
  const started = performance.now();
  const pump = setInterval(() => {
    for (const s of attackers) if (!s.destroyed && s.writableLength < frame.length) s.write(frame);
  }, 2);
  while (performance.now() - started < duration) await sleep(100);
  clearInterval(pump);
  const loop = lag.stop();
  const report = await user.stop();
  const handled = [...h.handled.values()].reduce((n, l) => n + l.length, 0);
  return {
    user: report,
    dropped: h.errors.get("MALFORMED_BODY"),
    parsedDeep: handled,
    frameBytes: frame.length,
    loopLagMs: loop,
  };
}
