// Per-instance series for /metrics: each instance's server counters, labelled `instance` and
// `protocol`, and its backplane counters, labelled `instance`, read at scrape time from
// snapshots.
import type { ServerMetricsSnapshot } from "@taurus/metrics";
import type { AdapterStats } from "@taurus/server";
import promClient from "prom-client";
import type { ChatProtocol, ChatSnapshot } from "./room";

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
  metrics: ChatSnapshot;
  backplane: BackplaneStats;
}

type Series = [name: string, help: string, read: (s: InstanceSnapshot) => number | undefined];
type ServerSeries = [name: string, help: string, read: (m: ServerMetricsSnapshot) => number];

const PROTOCOLS: ChatProtocol[] = ["json", "binary"];

const SERVER_COUNTERS: ServerSeries[] = [
  ["connections_total", "Connections accepted.", (m) => m.total_connections],
  ["connections_refused_total", "Connections refused.", (m) => m.connection_refused],
  ["messages_received_total", "Messages received.", (m) => m.messages_received],
  ["messages_sent_total", "Messages sent.", (m) => m.messages_sent],
  ["received_bytes_total", "Bytes received.", (m) => m.bytes_received],
  ["sent_bytes_total", "Bytes sent.", (m) => m.bytes_sent],
  ["errors_total", "Errors of every kind.", (m) => m.total_errors],
];
const SERVER_GAUGES: ServerSeries[] = [
  ["connections_current", "Connections open now.", (m) => m.current_connections],
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
  ["backplane_queued", "Messages waiting for Redis to come back.", (s) => s.backplane.queued],
  [
    "backplane_connected",
    "1 when the backplane reaches Redis.",
    (s) => (s.backplane.connected === undefined ? undefined : Number(s.backplane.connected)),
  ],
];

/**
 * Registers per-instance series in `registry`. `server` false: backplane series only
 * (a single process exposes its server counters through registerPrometheus).
 */
export function registerInstanceMetrics(
  registry: promClient.Registry,
  read: () => InstanceSnapshot[],
  server: boolean,
): void {
  type Emit = (labels: Record<string, string>, value: number) => void;
  const perInstance = (get: Series[2]) => (emit: Emit) => {
    for (const s of read()) {
      const v = get(s);
      if (v !== undefined) emit({ instance: s.instance }, v);
    }
  };
  const perProtocol = (get: ServerSeries[2]) => (emit: Emit) => {
    for (const s of read()) {
      for (const protocol of PROTOCOLS) {
        emit({ instance: s.instance, protocol }, get(s.metrics[protocol]));
      }
    }
  };
  type Family = [
    counter: boolean,
    name: string,
    help: string,
    labels: string[],
    collect: (emit: Emit) => void,
  ];
  const byProtocol = ["instance", "protocol"];
  const families: Family[] = [
    ...(server ? SERVER_COUNTERS : []).map(
      ([n, h, g]): Family => [true, n, h, byProtocol, perProtocol(g)],
    ),
    ...(server ? SERVER_GAUGES : []).map(
      ([n, h, g]): Family => [false, n, h, byProtocol, perProtocol(g)],
    ),
    ...BACKPLANE_COUNTERS.map(([n, h, g]): Family => [true, n, h, ["instance"], perInstance(g)]),
    ...GAUGES.map(([n, h, g]): Family => [false, n, h, ["instance"], perInstance(g)]),
  ];
  for (const [counter, name, help, labelNames, collect] of families) {
    const configuration = { name: `taurus_${name}`, help, labelNames, registers: [registry] };
    if (counter) {
      new promClient.Counter({
        ...configuration,
        collect() {
          this.reset();
          collect((l, v) => this.inc(l, v));
        },
      });
    } else {
      new promClient.Gauge({
        ...configuration,
        collect() {
          this.reset();
          collect((l, v) => this.set(l, v));
        },
      });
    }
  }
}
