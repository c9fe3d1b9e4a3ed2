// Two-way traffic between a @taurus/client and a @taurus/server through a cutting proxy:
// the client pushes N messages to the server and the server N to the client, at full speed,
// while the proxy cuts the connection at random points in both directions. Every message
// carries its stream and index; each direction is counted by a DeliveryCounter.
import { createClient, type TaurusClient } from "@taurus/client";
import { type Connection, isTaurusError } from "@taurus/core-conn";
import { type CutCounts, startCuttingProxy } from "./cutting-proxy";
import { DeliveryCounter, type DeliveryReport, parsePayload, payloadOf } from "./delivery-count";
import { type Kit, onCleanup, startServer, until } from "./harness";
import { clientSessionOptions, serverSessionOptions } from "./sessions";

/** One run of {@link runCutTraffic}. */
export interface CutTrafficOptions<M> {
  kit: Kit<M>;
  /** The session switch (see sessions.ts). */
  sessions: boolean;
  /** Messages each way. */
  perDirection: number;
  /** Byte budget of each connection before its cut, `[min, max]`. */
  bytes: readonly [number, number];
  /** Time budget of each connection before its cut, `[min, max]` ms. */
  millis: readonly [number, number];
  /** Messages per second each sender keeps to (so the cuts fall throughout the run). */
  rate: number;
  /** Milliseconds the server's handler takes per message (a database write); 0: synchronous. */
  slowMs?: number;
  /** Milliseconds the whole run may take before it fails. */
  timeout: number;
}

/** What a run measured. */
export interface CutTrafficResult {
  c2s: DeliveryReport;
  s2c: DeliveryReport;
  cuts: CutCounts;
  /** Connections the proxy accepted. */
  connections: number;
  /** Reconnections of the client. */
  reconnects: number;
  /** Milliseconds from the first send to the last sentinel. */
  durationMs: number;
}

const FIN = "fin";

/** Yields to I/O. */
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Resolves once message `i` is due at `rate` per second from `started`. */
async function pace(i: number, rate: number, started: number): Promise<void> {
  const due = started + (i * 1000) / rate;
  const wait = due - Date.now();
  if (wait > 1) await new Promise((r) => setTimeout(r, wait));
  else if (i % 64 === 0) await tick();
}

/** Runs the traffic and counts each direction. */
export async function runCutTraffic<M>(options: CutTrafficOptions<M>): Promise<CutTrafficResult> {
  const { kit, sessions, perDirection, slowMs = 0 } = options;
  const c2s = new DeliveryCounter(`c2s-${kit.name}`);
  const s2c = new DeliveryCounter(`s2c-${kit.name}`);
  let latest: Connection<M> | undefined;
  let inHandler = 0;
  let finHandled = false;
  let finReceived = false;

  const h = await startServer(kit, {
    ...serverSessionOptions(sessions),
    inboundBytesPerSecond: Number.POSITIVE_INFINITY,
    sendQueueBytes: 1024 * 1024,
    handler: {
      onConnect: (conn) => {
        latest = conn;
      },
    },
    onMessage: async (m) => {
      const payload = parsePayload(kit.text(m));
      if (!payload) return;
      if (payload.stream === FIN) {
        finHandled = true;
        return;
      }
      inHandler++;
      try {
        if (slowMs > 0) await new Promise((r) => setTimeout(r, slowMs));
        c2s.received(payload.index);
      } finally {
        inHandler--;
      }
    },
  });
  const proxy = await startCuttingProxy({
    target: h.port,
    bytes: options.bytes,
    millis: options.millis,
  });
  onCleanup(() => proxy.close());

  const client: TaurusClient<M> = createClient<M>({
    address: { host: "127.0.0.1", port: proxy.port },
    protocol: kit.protocol,
    maxRetries: Number.POSITIVE_INFINITY,
    retryDelay: 5,
    maxRetryDelay: 40,
    connectTimeout: 2_000,
    sendBufferSize: 4_096,
    closeTimeout: 1_000,
    ...clientSessionOptions(sessions),
  });
  client.on("error", () => {});
  let reconnects = 0;
  client.on("connect", () => void reconnects++);
  client.on("message", (m) => {
    const payload = parsePayload(kit.text(m));
    if (!payload) return;
    if (payload.stream === FIN) finReceived = true;
    else s2c.received(payload.index);
  });
  onCleanup(() => client.close());
  await client.connect();
  const started = Date.now();
  const deadline = started + options.timeout;
  const checkDeadline = (what: string): void => {
    if (Date.now() > deadline) throw new Error(`cut traffic: ${what} not done in time`);
  };

  // Client to server: send() either accepts (counted) or refuses with a full queue (retried).
  const clientSender = (async () => {
    for (let i = 0; i < perDirection; ) {
      try {
        client.send(kit.message(i + 1, payloadOf(c2s.stream, i)));
        c2s.accepted(i);
        i++;
        await pace(i, options.rate, started);
      } catch (err) {
        if (!isTaurusError(err, "SEND_QUEUE_FULL")) throw err;
        checkDeadline("client sends");
        await new Promise((r) => setTimeout(r, 1));
      }
    }
  })();

  // Server to client: on the latest connection; a refused send is retried on the next one.
  const serverSender = (async () => {
    for (let i = 0; i < perDirection; ) {
      const conn = latest;
      if (conn === undefined || conn.state !== "open") {
        checkDeadline("server sends");
        await new Promise((r) => setTimeout(r, 1));
        continue;
      }
      try {
        const more = conn.send(kit.message(i + 1, payloadOf(s2c.stream, i)));
        s2c.accepted(i);
        i++;
        if (!more) await tick();
        await pace(i, options.rate, started);
      } catch (err) {
        if (!isTaurusError(err, "SEND_QUEUE_FULL") && !isTaurusError(err, "CONNECTION_CLOSED"))
          throw err;
        checkDeadline("server sends");
        await new Promise((r) => setTimeout(r, 1));
      }
    }
  })();
  await Promise.all([clientSender, serverSender]);

  // No more cuts. A sentinel each way, behind everything sent on its connection, is
  // repeated until it arrives; then every earlier connection is gone and no handler runs.
  proxy.setCutting(false);
  let n = 0;
  let lastFin = 0;
  const waitSentinels = until(
    () => {
      if (Date.now() - lastFin >= 200) {
        lastFin = Date.now();
        n++;
        if (!finHandled) {
          try {
            client.send(kit.message(1, payloadOf(FIN, n)));
          } catch {
            // full: the next round tries again
          }
        }
        if (!finReceived && latest?.state === "open") {
          try {
            latest.send(kit.message(1, payloadOf(FIN, n)));
          } catch {
            // closed or full: the next round tries again
          }
        }
      }
      return (
        finHandled &&
        finReceived &&
        h.server.connectionCount === 1 &&
        inHandler === 0 &&
        client.state === "connected"
      );
    },
    Math.max(10_000, deadline - Date.now()),
    "sentinels both ways",
  );
  await waitSentinels.catch((err: Error) => {
    const state = { finHandled, finReceived, inHandler, client: client.state };
    throw new Error(`${err.message}: ${JSON.stringify(state)}`);
  });
  return {
    c2s: c2s.report(),
    s2c: s2c.report(),
    cuts: { ...proxy.cuts },
    connections: proxy.connections,
    reconnects: reconnects - 1,
    durationMs: Date.now() - started,
  };
}
