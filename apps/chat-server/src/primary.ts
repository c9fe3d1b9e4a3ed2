// `--workers N`: the cluster primary forks N workers that share the ports, relays their
// backplane messages (without --redis), restarts a worker that dies, and serves /metrics
// and /healthz for all of them (each worker's series labelled with its instance id).
import cluster, { type Worker } from "node:cluster";
import promClient from "prom-client";
import type { Config } from "./config";
import { type HttpSource, startHttp } from "./http";
import type { InstanceSnapshot } from "./instance-metrics";
import { registerInstanceMetrics } from "./instance-metrics";
import { IpcRelay } from "./ipc-adapter";
import type { Logger } from "./logger";
import { stopSignal } from "./serve";
import type { ListeningNotice, SnapshotReply } from "./worker";

/** Ms the primary waits for its workers' snapshots on a scrape. */
const SNAPSHOT_TIMEOUT = 1000;
/** Ms before a worker that died is forked again. */
const RESTART_DELAY = 500;
/** Ms the workers have to start listening. */
const START_TIMEOUT = 30_000;

export async function runPrimary(config: Config, log: Logger): Promise<number> {
  cluster.setupPrimary({ serialization: "advanced" });
  const relay = new IpcRelay();
  const live = new Set<Worker>();
  let stopping = false;
  let restartTimer: NodeJS.Timeout | undefined;
  let nextRequest = 0;
  const pending = new Map<number, (reply: SnapshotReply) => void>();
  let latest: InstanceSnapshot[] = [];

  let onListening: (notice: ListeningNotice) => void = () => {};
  let onEarlyExit: (code: number | null) => void = () => {};
  const fork = (): Worker => {
    const worker = cluster.fork();
    live.add(worker);
    if (!config.redis) relay.add(worker);
    // A send to a worker that is exiting fails with EPIPE: the exit handler deals with it.
    worker.on("error", (err) => log.debug("worker channel error", { error: String(err) }));
    worker.on("message", (m: ListeningNotice | SnapshotReply) => {
      if (m?.t === "listening") onListening(m);
      else if (m?.t === "snapshot") pending.get(m.id)?.(m);
    });
    worker.once("exit", (code, signal) => {
      live.delete(worker);
      if (stopping) return;
      onEarlyExit(code);
      log.warn("worker exited; starting another", { pid: worker.process.pid, code, signal });
      restartTimer = setTimeout(fork, RESTART_DELAY);
    });
    return worker;
  };

  // Start N workers and wait until each listens.
  const started = new Promise<ListeningNotice>((resolve, reject) => {
    let count = 0;
    const timer = setTimeout(
      () => reject(new Error("workers did not start in time")),
      START_TIMEOUT,
    );
    onListening = (notice) => {
      if (++count === config.workers) {
        clearTimeout(timer);
        resolve(notice);
      }
    };
    onEarlyExit = (code) => {
      clearTimeout(timer);
      reject(new Error(`a worker exited with ${code} while starting`));
    };
  });
  for (let i = 0; i < config.workers; i++) fork();
  let first: ListeningNotice;
  try {
    first = await started;
  } catch (err) {
    stopping = true;
    await stopWorkers(live);
    throw err;
  }
  onListening = () => {};
  onEarlyExit = () => {};

  const refresh = async (): Promise<void> => {
    const replies = [...live].map(
      (worker) =>
        new Promise<InstanceSnapshot | undefined>((resolve) => {
          const id = ++nextRequest;
          const timer = setTimeout(() => done(undefined), SNAPSHOT_TIMEOUT);
          const done = (s: InstanceSnapshot | undefined): void => {
            clearTimeout(timer);
            pending.delete(id);
            resolve(s);
          };
          pending.set(id, (reply) => done(reply.snapshot));
          if (worker.isConnected()) worker.send({ t: "snapshot?", id }, undefined, () => {});
          else done(undefined);
        }),
    );
    latest = (await Promise.all(replies)).filter((s): s is InstanceSnapshot => s !== undefined);
  };
  const registry = new promClient.Registry();
  promClient.collectDefaultMetrics({ register: registry });
  registerInstanceMetrics(registry, () => latest, true);
  new promClient.Counter({
    name: "taurus_backplane_relayed_total",
    help: "Backplane messages the primary relayed between workers (IPC backplane).",
    registers: [registry],
    collect() {
      this.reset();
      this.inc(relay.relayed);
    },
  });
  const source: HttpSource = {
    registry,
    refresh,
    health: async () => {
      await refresh();
      const connections = latest.reduce((n, s) => n + s.metrics.current_connections, 0);
      return { status: "ok", connections, workers: latest.length };
    },
  };
  const http = await startHttp(source, config.host, config.metricsPort);
  log.info("listening", {
    host: config.host,
    json: first.json,
    binary: first.binary,
    metrics: http.port,
    workers: config.workers,
    backplane: config.redis ? "redis" : "ipc",
  });

  await stopSignal();
  stopping = true;
  clearTimeout(restartTimer);
  log.info("shutting down");
  await stopWorkers(live);
  const httpClosed = new Promise<void>((resolve) => http.close(() => resolve()));
  http.closeAllConnections();
  await httpClosed;
  log.info("stopped", { workers: config.workers });
  return 0;
}

/** SIGTERM to every worker (each shuts down gracefully), resolved when all exited. */
async function stopWorkers(workers: Set<Worker>): Promise<void> {
  await Promise.all(
    [...workers].map(
      (worker) =>
        new Promise<void>((resolve) => {
          if (worker.isDead()) return resolve();
          worker.once("exit", () => resolve());
          worker.process.kill("SIGTERM");
        }),
    ),
  );
}
