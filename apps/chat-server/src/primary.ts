// `--workers N`: the cluster primary forks N workers that share the ports, relays their
// backplane messages (without --redis, bounded), restarts a worker that dies (backoff,
// crash-loop limit), and serves /metrics and the health endpoints for all of them (each
// worker's series labelled with its instance id). It never accepts a chat connection
// itself: the listening sockets are shared with the workers (SCHED_NONE), which accept;
// with no worker alive the ports are closed and connections are refused.
import cluster from "node:cluster";
import promClient from "prom-client";
import type { Config } from "./config";
import { clusterReadiness } from "./health";
import { connectHint } from "./hint";
import { type HttpServer, type HttpSource, startHttp, stopHttp } from "./http";
import type { InstanceSnapshot } from "./instance-metrics";
import { registerInstanceMetrics } from "./instance-metrics";
import { IpcRelay } from "./ipc-adapter";
import { NameBook } from "./ipc-directory";
import { bindError } from "./lifecycle";
import type { Logger } from "./logger";
import { registerPrimaryMetrics } from "./primary-metrics";
import { stopSignal } from "./serve";
import { Supervisor } from "./supervisor";
import type { SnapshotReply } from "./worker";

/** Ms the primary waits for its workers' snapshots on a scrape. */
const SNAPSHOT_TIMEOUT = 1000;
/** Ms the workers have to start listening. */
const START_TIMEOUT = 30_000;

export async function runPrimary(config: Config, log: Logger): Promise<number> {
  // Round-robin would have the primary accept each connection and hand it over: one
  // arriving just after a worker died is held by the primary for good. Shared handles
  // leave accepting to the workers (the kernel spreads connections among them).
  cluster.schedulingPolicy = cluster.SCHED_NONE;
  cluster.setupPrimary({ serialization: "advanced" });
  // Names held across the workers (with --redis, Redis holds them).
  const names = new NameBook();
  const relay = new IpcRelay({
    maxMessages: config.relayMaxMessages,
    maxBytes: config.relayMaxBytes,
  });
  let nextRequest = 0;
  const pending = new Map<number, (reply: SnapshotReply) => void>();
  let latest: InstanceSnapshot[] = [];
  let stopping = false;
  const supervisor = new Supervisor(config, log, {
    forked: (worker) => {
      if (!config.redis) {
        relay.add(worker);
        names.add(worker);
      }
    },
    snapshot: (reply) => pending.get(reply.id)?.(reply),
  });

  const refresh = async (): Promise<void> => {
    const replies = supervisor.workers().map(
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
  registerPrimaryMetrics(registry, {
    relay: () => relay.stats(),
    workers: () => ({ configured: config.workers, listening: supervisor.listening }),
    restarts: () => supervisor.restarts,
  });
  const source: HttpSource = {
    registry,
    refresh,
    readiness: async () =>
      clusterReadiness({
        configured: config.workers,
        listening: supervisor.listening,
        snapshots: latest,
        stopping,
        restarts: supervisor.restarts,
      }),
  };

  // The metrics port first: if it cannot be bound, nothing else is started.
  let http: HttpServer;
  try {
    http = await startHttp(source, config.metricsHost, config.metricsPort, log);
  } catch (err) {
    const failure = bindError(err, "metrics", "--metrics-port", "--metrics-host");
    log.error("cannot start", { error: failure.message, flag: failure.flag });
    return 1;
  }

  supervisor.start();
  let startTimer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<"timeout">((resolve) => {
    startTimer = setTimeout(() => resolve("timeout"), START_TIMEOUT);
  });
  const first = await Promise.race([supervisor.started, supervisor.gaveUp, timedOut]);
  clearTimeout(startTimer);
  if (first === "timeout" || !("json" in first)) {
    if (first === "timeout") log.error("cannot start", { error: "workers did not start in time" });
    else logGiveUp(log, first);
    await supervisor.stop();
    await stopHttp(http);
    return 1;
  }
  log.info("listening", {
    host: config.host,
    json: first.json,
    binary: first.binary,
    metrics: http.port,
    workers: config.workers,
    backplane: config.redis ? `redis ${config.redisMode}` : "ipc",
    hint: connectHint(config.host, {
      json: first.json,
      binary: first.binary,
      web: first.web,
      metrics: http.port,
    }),
  });

  const outcome = await Promise.race([stopSignal().then(() => "stop" as const), supervisor.gaveUp]);
  stopping = true;
  if (outcome !== "stop") logGiveUp(log, outcome);
  else log.info("shutting down");
  await supervisor.stop();
  await stopHttp(http);
  log.info("stopped", { workers: config.workers, restarts: supervisor.restarts });
  return outcome === "stop" ? 0 : 1;
}

function logGiveUp(log: Logger, info: Awaited<Supervisor["gaveUp"]>): void {
  log.error("giving up: a worker crashes in a loop", {
    ...info,
    hint: info.flag
      ? `change ${info.flag}`
      : "see the worker's last error; --crash-limit and --crash-window set the loop",
  });
}
