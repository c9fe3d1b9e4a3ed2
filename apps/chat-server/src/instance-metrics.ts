// Per-instance series for /metrics: each instance's server counters and its backplane
// counters, labelled `instance`, read at scrape time from snapshots.
import type { ServerMetricsSnapshot } from "@taurus/metrics";
import type { AdapterStats } from "@taurus/server";
import promClient from "prom-client";

/** What the backplane of one instance counted (Redis adds queue and connection state). */
export type BackplaneStats = AdapterStats & {
  queued?: number;
  connected?: boolean;
  reconnects?: number;
};

/** One instance (a worker) as the primary last read it. */
export interface InstanceSnapshot {
  instance: string;
  /** The process serving it (a worker's pid in a cluster). */
  pid?: number;
  metrics: ServerMetricsSnapshot;
  backplane: BackplaneStats;
}

type Series = [name: string, help: string, read: (s: InstanceSnapshot) => number | undefined];

const COUNTERS: Series[] = [
  ["connections_total", "Connections accepted.", (s) => s.metrics.total_connections],
  ["connections_refused_total", "Connections refused.", (s) => s.metrics.connection_refused],
  ["messages_received_total", "Messages received.", (s) => s.metrics.messages_received],
  ["messages_sent_total", "Messages sent.", (s) => s.metrics.messages_sent],
  ["received_bytes_total", "Bytes received.", (s) => s.metrics.bytes_received],
  ["sent_bytes_total", "Bytes sent.", (s) => s.metrics.bytes_sent],
  ["errors_total", "Errors of every kind.", (s) => s.metrics.total_errors],
];
const BACKPLANE_COUNTERS: Series[] = [
  [
    "backplane_published_total",
    "Messages published to the other instances.",
    (s) => s.backplane.published,
  ],
  [
    "backplane_received_total",
    "Messages received from the other instances.",
    (s) => s.backplane.received,
  ],
  [
    "backplane_dropped_total",
    "Messages the backplane could not publish.",
    (s) => s.backplane.dropped,
  ],
  [
    "backplane_lost_total",
    "Messages other instances published that never arrived here (sequence gaps).",
    (s) => s.backplane.lost,
  ],
  [
    "backplane_duplicates_total",
    "Copies of messages already delivered, dropped.",
    (s) => s.backplane.duplicates,
  ],
  [
    "backplane_reconnects_total",
    "Times the backplane came back after Redis was lost.",
    (s) => s.backplane.reconnects,
  ],
];
const GAUGES: Series[] = [
  ["connections_current", "Connections open now.", (s) => s.metrics.current_connections],
  ["backplane_queued", "Messages waiting for Redis to come back.", (s) => s.backplane.queued],
  [
    "backplane_connected",
    "1 when the backplane reaches Redis.",
    (s) => (s.backplane.connected === undefined ? undefined : Number(s.backplane.connected)),
  ],
];

/**
 * Registers per-instance series in `registry`. `server` false: backplane series only
 * (a single process exposes its server counters unlabelled through registerPrometheus).
 */
export function registerInstanceMetrics(
  registry: promClient.Registry,
  read: () => InstanceSnapshot[],
  server: boolean,
): void {
  const counters = server ? [...COUNTERS, ...BACKPLANE_COUNTERS] : BACKPLANE_COUNTERS;
  const gauges = server ? GAUGES : GAUGES.slice(1);
  for (const [name, help, get] of counters) {
    new promClient.Counter({
      name: `taurus_${name}`,
      help,
      labelNames: ["instance"],
      registers: [registry],
      collect() {
        this.reset();
        for (const s of read()) {
          const v = get(s);
          if (v !== undefined) this.inc({ instance: s.instance }, v);
        }
      },
    });
  }
  for (const [name, help, get] of gauges) {
    new promClient.Gauge({
      name: `taurus_${name}`,
      help,
      labelNames: ["instance"],
      registers: [registry],
      collect() {
        this.reset();
        for (const s of read()) {
          const v = get(s);
          if (v !== undefined) this.set({ instance: s.instance }, v);
        }
      },
    });
  }
}
