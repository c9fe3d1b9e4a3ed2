// Slow and greedy peers: slowloris, floods, peers that never read, connection storms.
import type net from "node:net";
import { describe, expect, it } from "vitest";
import {
  binaryKit,
  closed,
  heapAfterGc,
  jsonKit,
  type Kit,
  MAX_MESSAGE,
  metricCodes,
  pool,
  rawConnection,
  rawSocket,
  record,
  scale,
  startServer,
  startWitness,
  until,
  write,
} from "./harness";

const HANDSHAKE = 300;
const IDLE = 600;

describe("slowloris", () => {
  it("silent, header-only and slow-dripping peers are closed by the first-byte and idle timeouts; a normal client is not starved", async () => {
    const kit = binaryKit;
    const h = await startServer(kit, { handshakeTimeout: HANDSHAKE, idleTimeout: IDLE });
    const witness = await startWitness(kit, h.port);
    const each = scale(70, 200);
    const frame = kit.frame(1, "x".repeat(100));
    const silent = await pool(each, 50, () => rawSocket(h.port));
    const headerOnly = await pool(each, 50, async () => {
      const s = await rawSocket(h.port);
      s.write(frame.subarray(0, kit.headerSize));
      return s;
    });
    // Drips one byte per 1.5 x idleTimeout: each gap is longer than the idle timeout.
    const drippers = await pool(each, 50, async () => {
      const s = await rawSocket(h.port);
      s.write(frame.subarray(0, 1));
      let at = 1;
      const timer = setInterval(() => {
        if (!s.destroyed && at < frame.length) s.write(frame.subarray(at, ++at));
      }, IDLE * 1.5);
      s.once("close", () => clearInterval(timer));
      return s;
    });
    const all = [...silent, ...headerOnly, ...drippers];
    await until(() => h.accepted === 3 * each + 1, 5_000, "every slow peer accepted");
    await Promise.all(all.map((s) => closed(s, IDLE * 6)));
    await until(() => h.server.connectionCount === 1, 5_000, "only the witness left");
    const report = await witness.stop();
    expect(report).toEqual({ sent: report.sent, received: report.sent, inOrder: true });
    expect(report.sent).toBeGreaterThan(50);
    expect(h.closes.get("HANDSHAKE_TIMEOUT")).toBe(each);
    expect(h.closes.get("IDLE_TIMEOUT")).toBe(2 * each);
    expect(metricCodes(h.server).HANDSHAKE_TIMEOUT).toBe(each);
    expect(metricCodes(h.server).IDLE_TIMEOUT).toBe(2 * each);
    // Nothing a slow peer sent was ever a message.
    expect(h.server.metrics.snapshot().messages_received).toBe(report.sent);
    record("slowloris-timeouts", {
      group: "Slow and greedy peers",
      title: "slowloris: silent, header-only and slow-dripping peers",
      load: `${3 * each} slow peers at once, 1 witness echoing every 5 ms`,
      faults: `handshakeTimeout ${HANDSHAKE} ms, idleTimeout ${IDLE} ms`,
      badInputs: `${each} silent, ${each} header-only, ${each} dripping 1 byte per ${IDLE * 1.5} ms`,
      lost: report.sent - report.received,
      lostUnit: "witness echoes",
      observed: { closes: h.closes.toJSON(), witnessEchoes: report.received },
    });
  });

  it("a peer dripping a frame one byte at a time, faster than the idle timeout, is closed in bounded time", async () => {
    // The idle timer is reset by every byte, so a peer that sends one byte per
    // idleTimeout/3 and never completes a frame holds its slot for as long as it likes:
    // 1000 such peers (10 bytes/s each) lock every client out of a default server.
    const kit = binaryKit;
    const h = await startServer(kit, { handshakeTimeout: HANDSHAKE, idleTimeout: IDLE });
    const witness = await startWitness(kit, h.port);
    const peers = scale(10, 50);
    const frame = kit.frame(1, "y".repeat(60_000));
    const sockets = await pool(peers, 50, async () => {
      const s = await rawSocket(h.port);
      let at = 0;
      const timer = setInterval(() => {
        if (!s.destroyed && at < frame.length) s.write(frame.subarray(at, ++at));
      }, IDLE / 3);
      s.once("close", () => clearInterval(timer));
      return s;
    });
    const bound = IDLE * 5;
    const outcome = await Promise.all(
      sockets.map((s) =>
        closed(s, bound).then(
          () => "closed",
          () => "open",
        ),
      ),
    );
    const stillOpen = outcome.filter((o) => o === "open").length;
    for (const s of sockets) s.destroy();
    const report = await witness.stop();
    record("slowloris-fast-drip", {
      group: "Slow and greedy peers",
      title: "slowloris: a frame dripped one byte per idleTimeout/3",
      load: `${peers} dripping peers, 1 witness`,
      faults: `idleTimeout ${IDLE} ms; peers never finish their frame`,
      badInputs: `one byte every ${IDLE / 3} ms of a ${frame.length}-byte frame`,
      lost: stillOpen,
      lostUnit: `slots still held after ${bound} ms (must be 0)`,
      observed: { stillOpen, witnessEchoes: report.received },
    });
    expect(report).toEqual({ sent: report.sent, received: report.sent, inOrder: true });
    expect(stillOpen).toBe(0);
  });
});

function floodSuite<M>(kit: Kit<M>): void {
  it(`${kit.name}: a peer far over its rate is paused, not dropped, and every message is handled in order`, async () => {
    const rate = scale(500, 2000);
    const total = scale(2000, 20_000);
    // The case is about the inbound limit: the server's own send queue must hold a whole
    // burst of echoes (a burst of `rate` messages can be handled in one tick; past the
    // default sendQueueSize of 1024, echoes would be refused with SEND_QUEUE_FULL).
    const h = await startServer(kit, { rateLimit: rate, sendQueueSize: total + 1 });
    const witness = await startWitness(kit, h.port);
    const client = await rawConnection(kit, h.port, {
      sendQueueSize: total + 1,
      sendQueueBytes: 64 * 2 ** 20,
    });
    const echoes: number[] = [];
    client.on("message", (m) => echoes.push(kit.sequence(m)));
    let pausedSeen = 0;
    const id = await until(
      () => h.byPeerPort.has(client.localPort as number),
      5_000,
      "server side",
    ).then(() => h.byPeerPort.get(client.localPort as number) as string);
    const watch = setInterval(() => {
      if (h.server.connection(id)?.isPaused) pausedSeen++;
    }, 5);
    try {
      for (let i = 1; i <= total; i++) client.send(kit.message(i, "flood"));
      await until(() => echoes.length === total, (total / rate) * 1000 + 20_000, "every echo");
    } finally {
      clearInterval(watch);
    }
    const handled = (h.handled.get(id) ?? []).map((m) => kit.sequence(m));
    const expected = Array.from({ length: total }, (_, i) => i + 1);
    expect(handled).toEqual(expected);
    expect(echoes).toEqual(expected);
    expect(pausedSeen).toBeGreaterThan(0);
    expect(h.errors.total).toBe(0);
    expect(h.server.connection(id)?.state).toBe("open");
    const report = await witness.stop();
    expect(report).toEqual({ sent: report.sent, received: report.sent, inOrder: true });
    record(`flood-${kit.name}`, {
      group: "Slow and greedy peers",
      title: `${kit.name}: flood far over the rate limit (policy pause)`,
      load: `${total} messages sent at once against rateLimit ${rate}/s, 1 witness`,
      faults: "none",
      badInputs: "none",
      lost: total - handled.length + (report.sent - report.received),
      lostUnit: "flood messages and witness echoes",
      observed: { pausedSamples: pausedSeen, errorsByCode: h.errors.toJSON() },
    });
  });
}

describe("flood", () => {
  floodSuite(jsonKit);
  floodSuite(binaryKit);
});

describe("a peer that never reads", () => {
  for (const policy of ["reject", "disconnect"] as const) {
    it(`slow-consumer policy ${policy}: memory stays bounded and readers keep every broadcast`, async () => {
      const kit = binaryKit;
      const queueBytes = 1024 * 1024;
      // The policy alone is under test: no write deadline (on by default since, 5 s), which
      // would close the stalled peer whatever the policy once the run outlasts it.
      const h = await startServer(kit, {
        sendQueueBytes: queueBytes,
        slowConsumerPolicy: policy,
        writeTimeout: 0,
      });
      const payload = "z".repeat(MAX_MESSAGE - 100);
      const frameSize = kit.frame(1, payload).length;
      const readers = await Promise.all([1, 2, 3].map(() => rawConnection(kit, h.port)));
      const got = readers.map(() => 0);
      for (const [i, r] of readers.entries()) {
        r.on("message", (m) => {
          if (kit.sequence(m) === got[i]! + 1) got[i]!++;
        });
      }
      const stalled = await rawSocket(h.port);
      stalled.pause();
      // It also asks the server for replies that it will never read.
      for (let i = 0; i < 50; i++) await write(stalled, kit.frame(1_000_000 + i, payload));
      await until(() => h.server.connectionCount === 4, 5_000, "all connected");
      const readerIds = readers.map((r) => h.byPeerPort.get(r.localPort as number) as string);
      const stalledId = h.byPeerPort.get(stalled.localPort as number) as string;
      const before = process.memoryUsage().arrayBuffers + (await heapAfterGc());
      const broadcasts = scale(600, 6000);
      let failed = 0;
      let peakStalled = 0;
      for (let i = 1; i <= broadcasts; i++) {
        // Pace on the readers only: a stalled peer must never slow this loop down.
        await until(
          () =>
            readerIds.every(
              (id) => (h.server.connection(id)?.bufferedAmount ?? 0) < queueBytes / 2,
            ),
          10_000,
          "readers drain",
        );
        const result = h.server.broadcast(kit.message(i, payload));
        failed += result.failed;
        peakStalled = Math.max(peakStalled, h.server.connection(stalledId)?.bufferedAmount ?? 0);
        if (i % 8 === 0) await new Promise((r) => setImmediate(r));
      }
      await until(() => got.every((n) => n === broadcasts), 20_000, "readers got every broadcast");
      const growth = process.memoryUsage().arrayBuffers + (await heapAfterGc()) - before;
      // The queue bound, one socket high-water mark and one frame in the socket's hands.
      const bound = queueBytes + 64 * 1024 + frameSize;
      expect(peakStalled).toBeLessThanOrEqual(bound);
      // Process-wide (heap + ArrayBuffers after GC, the harness's own records included): a loose
      // bound, far below the bytes offered; the exact bound is the one on peakStalled above.
      expect(growth).toBeLessThan(64 * 2 ** 20);
      if (policy === "reject") {
        expect(failed).toBeGreaterThan(0);
        expect(h.server.connection(stalledId)?.state).toBe("open");
      } else {
        // Cut off by the first full queue: its own echoes or a broadcast, whichever came first.
        expect(failed).toBeLessThanOrEqual(1);
        await until(
          () => h.server.connection(stalledId) === undefined,
          5_000,
          "stalled peer cut off",
        );
        expect(h.closes.get("SEND_QUEUE_FULL")).toBe(1);
      }
      // The readers never had a full queue.
      for (const id of readerIds) expect(h.errorsByConn.get(id) ?? []).toEqual([]);
      expect(h.errors.get("SEND_QUEUE_FULL")).toBeGreaterThanOrEqual(failed);
      record(`never-reads-${policy}`, {
        group: "Slow and greedy peers",
        title: `a peer that never reads (slowConsumerPolicy ${policy})`,
        load: `${broadcasts} broadcasts of ${frameSize} B to 3 readers + 1 stalled peer (${((broadcasts * frameSize * 4) / 2 ** 20).toFixed(0)} MiB offered), plus 50 echoes it never reads`,
        faults: "a peer that never reads",
        badInputs: "none",
        lost: readers.length * broadcasts - got.reduce((a, b) => a + b, 0),
        lostUnit: "broadcasts to readers",
        observed: {
          sendQueueBytes: queueBytes,
          peakStalledBufferedBytes: peakStalled,
          boundBytes: bound,
          memoryGrowthBytes: growth,
          broadcastsRefusedToStalled: failed,
          errorsByCode: h.errors.toJSON(),
        },
      });
    });
  }
});

describe("connection storms", () => {
  it("past maxConnections: refused cleanly, counted, and the server recovers fully", async () => {
    const kit = jsonKit;
    const max = 50;
    const h = await startServer(kit, { maxConnections: max });
    const witness = await startWitness(kit, h.port);
    const waves = scale(4, 20);
    const perWave = scale(200, 500);
    let refusedSeen = 0;
    for (let w = 0; w < waves; w++) {
      const before = h.server.metrics.snapshot();
      const sockets: net.Socket[] = await pool(perWave, 100, () => rawSocket(h.port));
      await until(
        () => {
          const s = h.server.metrics.snapshot();
          return (
            s.total_connections -
              before.total_connections +
              s.connection_refused -
              before.connection_refused ===
            perWave
          );
        },
        10_000,
        "every attempt accepted or refused",
      );
      // Refused sockets are closed by the server; accepted ones are still open.
      const refused = h.server.metrics.snapshot().connection_refused - before.connection_refused;
      await until(
        () => sockets.filter((s) => s.destroyed).length >= refused,
        5_000,
        "refused sockets closed",
      );
      refusedSeen += refused;
      for (const s of sockets) s.destroy();
      await until(() => h.server.connectionCount === 1, 5_000, "wave gone");
    }
    const snap = h.server.metrics.snapshot();
    expect(h.peakConnections).toBeLessThanOrEqual(max);
    expect(snap.total_connections + snap.connection_refused).toBe(waves * perWave + 1);
    expect(snap.connection_refused).toBe(refusedSeen);
    expect(refusedSeen).toBeGreaterThan(0);
    expect(h.errors.get("CONNECTION_LIMIT")).toBe(refusedSeen);
    // Recovery: a full house of new clients, each served.
    const fresh = await Promise.all(
      Array.from({ length: max - 1 }, () => rawConnection(kit, h.port)),
    );
    await until(() => h.server.connectionCount === max, 5_000, "full house");
    const echoes = fresh.map(() => 0);
    for (const [i, c] of fresh.entries()) {
      c.on("message", () => echoes[i]!++);
      c.send(kit.message(1, "back"));
    }
    await until(() => echoes.every((n) => n === 1), 5_000, "every fresh client served");
    expect(h.server.metrics.snapshot().connection_refused).toBe(refusedSeen);
    const report = await witness.stop();
    expect(report).toEqual({ sent: report.sent, received: report.sent, inOrder: true });
    record("connection-storm", {
      group: "Slow and greedy peers",
      title: "connection storms past maxConnections",
      load: `${waves} waves x ${perWave} simultaneous connects against maxConnections ${max}, 1 witness`,
      faults: "none",
      badInputs: "none",
      lost: report.sent - report.received + (max - 1 - echoes.filter((n) => n === 1).length),
      lostUnit: "witness echoes and recovery echoes",
      observed: {
        accepted: snap.total_connections,
        refused: snap.connection_refused,
        peakConnections: h.peakConnections,
        errorsByCode: h.errors.toJSON(),
        metricsErrorsByCode: snap.errors_by_code,
      },
    });
    // Counted by code in the metrics too, as every other error onError sees.
    expect(snap.errors_by_code.CONNECTION_LIMIT ?? 0).toBe(refusedSeen);
  });
});
