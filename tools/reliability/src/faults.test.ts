// Faults on the server side: graceful shutdown under load, handlers that throw or never
// settle, and connect/disconnect churn (no leak of sockets, timers, listeners or heap).
import net from "node:net";
import { Connection, isTaurusError } from "@taurus/core-conn";
import { describe, expect, it } from "vitest";
import {
  activeResources,
  binaryKit,
  heapAfterGc,
  jsonKit,
  type Kit,
  pool,
  rawConnection,
  rawSocket,
  record,
  scale,
  startServer,
  until,
} from "./harness";

function shutdownSuite<M>(kit: Kit<M>): void {
  it(`${kit.name}: graceful shutdown under load: everything accepted by send() on either side arrives`, async () => {
    let repliesAccepted = 0;
    let repliesRefused = 0;
    const h = await startServer(kit, {
      shutdownTimeout: 30_000,
      onMessage: async (m, conn) => {
        if (kit.sequence(m) % 5 === 0) await new Promise((r) => setTimeout(r, 1));
        try {
          conn.send(m);
          repliesAccepted++;
        } catch (err) {
          if (!isTaurusError(err, "CONNECTION_CLOSED")) throw err;
          repliesRefused++;
        }
      },
    });
    const clients = scale(10, 50);
    const conns = await Promise.all(
      Array.from({ length: clients }, () => rawConnection(kit, h.port, { sendQueueSize: 100_000 })),
    );
    await until(() => h.server.connectionCount === clients, 5_000, "all connected");
    const ports = conns.map((c) => c.localPort as number);
    const accepted = conns.map(() => 0);
    const received = conns.map(() => 0);
    let refusedOnClient = 0;
    for (const [i, c] of conns.entries()) c.on("message", () => void received[i]!++);
    // Each client sends in bursts until its send() refuses (the server ended its side) or it is done.
    const perClient = scale(2_000, 10_000);
    let running = true;
    const senders = conns.map(async (c, i) => {
      for (let seq = 1; seq <= perClient && running; seq++) {
        try {
          c.send(kit.message(seq, "load"));
          accepted[i]!++;
        } catch (err) {
          if (!isTaurusError(err, "CONNECTION_CLOSED")) throw err;
          refusedOnClient++;
          return;
        }
        // Keep sending while the shutdown happens, rather than queueing everything up front.
        if (seq % 20 === 0) await new Promise((r) => setTimeout(r, 1));
      }
    });
    const handledTotal = () => [...h.handled.values()].reduce((n, l) => n + l.length, 0);
    await until(() => handledTotal() > (clients * perClient) / 4, 30_000, "load under way");
    const report = await h.server.close();
    running = false;
    await Promise.all(senders);
    await until(() => conns.every((c) => c.state === "closed"), 30_000, "clients closed");
    const sent = accepted.reduce((a, b) => a + b, 0);
    const got = received.reduce((a, b) => a + b, 0);
    record(`graceful-shutdown-${kit.name}`, {
      group: "Faults",
      title: `${kit.name}: graceful shutdown under load`,
      load: `${clients} clients sending up to ${perClient} messages each; server replies to every one`,
      faults: "server.close() once a quarter of the load was handled",
      badInputs: "none",
      lost: sent - handledTotal() + (repliesAccepted - got),
      lostUnit: "client messages not handled + accepted replies not received",
      observed: {
        clientSendsAccepted: sent,
        clientSendsRefused: refusedOnClient,
        handled: handledTotal(),
        serverRepliesAccepted: repliesAccepted,
        serverRepliesRefused: repliesRefused,
        repliesReceived: got,
        shutdown: report,
      },
    });
    expect(report.forced).toBe(0);
    expect(report.closed).toBe(clients);
    // Everything a client's send() accepted was handled; every reply the server accepted arrived.
    expect(handledTotal()).toBe(sent);
    expect(got).toBe(repliesAccepted);
    expect(repliesAccepted + repliesRefused).toBe(sent);
    for (const [i, port] of ports.entries()) {
      const id = h.byPeerPort.get(port) as string;
      const seqs = (h.handled.get(id) ?? []).map((m) => kit.sequence(m));
      expect(seqs).toEqual(Array.from({ length: accepted[i]! }, (_, k) => k + 1));
    }
    expect(h.server.connectionCount).toBe(0);
  });
}

describe("graceful shutdown", () => {
  shutdownSuite(jsonKit);
  shutdownSuite(binaryKit);
});

describe("misbehaving handlers", () => {
  it("a handler that throws on every message: the connection is still served, every failure counted", async () => {
    const kit = binaryKit;
    const h = await startServer(kit, {
      idleTimeout: 300,
      onMessage: (m, conn) => {
        conn.send(m);
        throw new Error("handler bug");
      },
    });
    const clients = scale(20, 200);
    const per = scale(50, 500);
    const conns = await Promise.all(
      Array.from({ length: clients }, () => rawConnection(kit, h.port)),
    );
    const echoes = conns.map(() => 0);
    for (const [i, c] of conns.entries()) {
      c.on("message", () => void echoes[i]!++);
      for (let s = 1; s <= per; s++) c.send(kit.message(s, "boom"));
    }
    await until(() => echoes.every((n) => n === per), 20_000, "every echo despite the throws");
    expect(h.errors.get("HANDLER_FAILED")).toBe(clients * per);
    expect(h.server.metrics.snapshot().errors_by_code.HANDLER_FAILED).toBe(clients * per);
    // Then the clients go quiet: the idle timeout closes every connection.
    await until(() => h.server.connectionCount === 0, 10_000, "idle connections closed");
    expect(h.closes.get("IDLE_TIMEOUT")).toBe(clients);
    record("handler-throws", {
      group: "Faults",
      title: "a handler that throws on every message",
      load: `${clients} clients x ${per} messages`,
      faults: "onMessage throws after replying",
      badInputs: "none",
      lost: clients * per - echoes.reduce((a, b) => a + b, 0),
      lostUnit: "replies",
      observed: { errorsByCode: h.errors.toJSON(), closes: h.closes.toJSON() },
    });
  });

  it("a handler that never settles: the connection stops reading, the idle timeout frees it, nothing leaks", async () => {
    const kit = jsonKit;
    const h = await startServer(kit, {
      idleTimeout: 300,
      onMessage: () => new Promise<void>(() => {}),
    });
    const heapBefore = await heapAfterGc();
    const clients = scale(50, 500);
    const conns: Array<{ destroy(): void }> = [];
    await pool(clients, 50, async () => {
      const c = await rawConnection(kit, h.port);
      conns.push(c);
      // Far more than one message: the rest must wait behind the stuck handler, unread.
      for (let s = 1; s <= 20; s++) c.send(kit.message(s, "x".repeat(1000)));
    });
    await until(() => h.accepted === clients, 5_000, "all accepted");
    await until(
      () => h.server.connectionCount === 0,
      10_000,
      "stuck connections closed by idle timeout",
    );
    const handled = [...h.handled.values()].map((l) => l.length);
    expect(handled.every((n) => n === 1)).toBe(true);
    expect(h.closes.get("IDLE_TIMEOUT")).toBe(clients);
    for (const c of conns) c.destroy();
    const heapGrowth = (await heapAfterGc()) - heapBefore;
    expect(heapGrowth).toBeLessThan(16 * 2 ** 20);
    // With no connection left, shutdown is immediate and clean.
    const report = await h.server.close();
    expect(report).toEqual({ closed: 0, forced: 0, discarded: [] });
    record("handler-never-settles", {
      group: "Faults",
      title: "a handler that never settles",
      load: `${clients} clients x 20 messages of 1 KB`,
      faults: "onMessage returns a promise that never settles",
      badInputs: "none",
      lost: 0,
      observed: { closes: h.closes.toJSON(), heapGrowthBytes: heapGrowth },
    });
  });

  it("a handler that never settles, at shutdown: close() forces it after shutdownTimeout and reports it", async () => {
    const kit = binaryKit;
    const h = await startServer(kit, {
      shutdownTimeout: 200,
      onMessage: () => new Promise<void>(() => {}),
    });
    const c = await rawConnection(kit, h.port);
    c.send(kit.message(1, "stuck"));
    await until(
      () => [...h.handled.values()].some((l) => l.length === 1),
      5_000,
      "handler running",
    );
    const report = await h.server.close();
    expect(report).toEqual({
      closed: 0,
      forced: 1,
      discarded: [
        {
          id: expect.any(String),
          remoteAddress: "127.0.0.1",
          remotePort: c.localPort,
          messages: 0,
          bytes: 0,
        },
      ],
    });
    expect(h.server.connectionCount).toBe(0);
  });
});

/** Waits for the process's active resources to come back to `baseline` (bounded). */
async function settle(
  baseline: Record<string, number>,
  slack: number,
): Promise<Record<string, number>> {
  let now = activeResources();
  const over = () =>
    Object.entries(now).some(
      ([type, n]) => n > (baseline[type] ?? 0) + (type === "Timeout" ? slack : 0),
    );
  const started = Date.now();
  while (over() && Date.now() - started < 5_000) {
    await new Promise((r) => setTimeout(r, 20));
    now = activeResources();
  }
  return now;
}

describe("connect / disconnect churn", () => {
  it("connects and disconnects many times: no leak of sockets, timers, listeners or heap", async () => {
    const kit = binaryKit;
    const h = await startServer(kit, { idleTimeout: 60_000, handshakeTimeout: 5_000 });
    const total = scale(2_000, 20_000);
    // Warm up (JIT, pools), then take the baseline.
    await pool(50, 25, async () => (await rawSocket(h.port)).destroy());
    await until(() => h.server.connectionCount === 0, 5_000, "warm-up gone");
    for (const l of h.handled.values()) l.length = 0;
    h.handled.clear();
    h.byPeerPort.clear();
    h.errorsByConn.clear();
    const baseline = activeResources();
    const heapBefore = await heapAfterGc();
    const listenersBefore = h.server.listenerCount("connection") + h.server.listenerCount("close");
    let echoed = 0;
    await pool(total, 50, async (i) => {
      // Not through rawSocket/rawConnection: their per-test cleanup list would keep
      // 20,000 sockets reachable. Every socket here is destroyed before the task ends.
      const socket = net.connect({ host: "127.0.0.1", port: h.port, allowHalfOpen: true });
      socket.on("error", () => {});
      try {
        await new Promise<void>((resolve, reject) => {
          socket.once("connect", resolve);
          socket.once("error", reject);
        });
        const mode = i % 4;
        if (mode === 0) {
          // Connect and leave at once.
          socket.destroy();
        } else if (mode === 1) {
          // Half a frame, then a reset.
          socket.write(kit.frame(1, "partial").subarray(0, 10));
          await new Promise((r) => setImmediate(r));
          socket.resetAndDestroy();
        } else {
          // A full exchange, then a graceful (2) or abrupt (3) close.
          const c = new Connection(socket, kit.protocol, { idleTimeout: 0 });
          c.on("error", () => {});
          const got = new Promise<void>((resolve) => c.once("message", () => resolve()));
          c.send(kit.message(1, "hello"));
          await got;
          echoed++;
          if (mode === 2) await c.close();
          else c.destroy();
        }
      } finally {
        socket.destroy();
      }
      // Drop the harness's bookkeeping of finished connections, so only the server's own memory counts.
      if (h.handled.size > 200) {
        for (const [id] of h.handled) if (!h.server.connection(id)) h.handled.delete(id);
        h.byPeerPort.clear();
        h.errorsByConn.clear();
      }
    });
    await until(() => h.server.connectionCount === 0, 10_000, "every connection gone");
    h.handled.clear();
    h.byPeerPort.clear();
    h.errorsByConn.clear();
    const after = await settle(baseline, 2);
    const heapGrowth = (await heapAfterGc()) - heapBefore;
    const listenersAfter = h.server.listenerCount("connection") + h.server.listenerCount("close");
    const snap = h.server.metrics.snapshot();
    // Slack, documented: 4 MiB of heap (JIT code, metric maps), 2 timers (the harness's sampler may be mid-tick).
    const HEAP_SLACK = 4 * 2 ** 20;
    record(`churn-${total}`, {
      group: "Faults",
      title: `${total} connects and disconnects`,
      load: `${total} connections, 50 at a time: 1/4 connect+leave, 1/4 half a frame+reset, 1/2 echo then end or destroy`,
      faults: "resets, half frames, abrupt closes",
      badInputs: "half frames",
      lost: total / 2 - echoed,
      lostUnit: "echoes",
      observed: {
        resourcesBefore: baseline,
        resourcesAfter: after,
        heapGrowthBytes: heapGrowth,
        heapSlackBytes: HEAP_SLACK,
        listenersBefore,
        listenersAfter,
        currentConnectionsMetric: snap.current_connections,
        totalConnectionsMetric: snap.total_connections,
      },
    });
    expect(echoed).toBe(total / 2);
    expect(h.server.connectionCount).toBe(0);
    expect(snap.current_connections).toBe(0);
    expect(after.TCPSocketWrap ?? 0).toBe(baseline.TCPSocketWrap ?? 0);
    expect(after.Timeout ?? 0).toBeLessThanOrEqual((baseline.Timeout ?? 0) + 2);
    expect(listenersAfter).toBe(listenersBefore);
    expect(heapGrowth).toBeLessThan(HEAP_SLACK);
  });
});
