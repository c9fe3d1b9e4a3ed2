// The primary's own series: its IPC relay (bounded: what it dropped, what it holds now) and
// its workers (listening, restarted).
import promClient from "prom-client";
import type { RelayStats } from "./ipc-adapter";

export function registerPrimaryMetrics(
  registry: promClient.Registry,
  read: {
    relay: () => RelayStats;
    workers: () => { configured: number; listening: number };
    restarts: () => number;
  },
): void {
  const counter = (name: string, help: string, value: () => number): void => {
    new promClient.Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(value());
      },
    });
  };
  const gauge = (name: string, help: string, value: () => number): void => {
    new promClient.Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(value());
      },
    });
  };
  counter(
    "taurus_backplane_relayed_total",
    "Backplane messages the primary relayed between workers (IPC backplane).",
    () => read.relay().relayed,
  );
  counter(
    "taurus_backplane_relay_dropped_total",
    "Copies the primary did not relay because a worker's window was full (the worker counts them as lost).",
    () => read.relay().dropped,
  );
  gauge(
    "taurus_backplane_relay_pending_bytes",
    "Bytes the primary holds for its workers now (bounded per worker by --relay-max-bytes).",
    () => read.relay().pendingBytes,
  );
  gauge(
    "taurus_workers_configured",
    "Workers configured (--workers).",
    () => read.workers().configured,
  );
  gauge("taurus_workers_listening", "Workers listening now.", () => read.workers().listening);
  counter("taurus_worker_restarts_total", "Workers started again after a crash.", read.restarts);
}
