import { ClientMetrics, type ClientMetricsSnapshot } from "./client-metrics";
import { Counter } from "./counter";
import { Gauge } from "./gauge";
import { Histogram } from "./histogram";

/** Handler latency summary in a {@link ServerMetricsSnapshot}. */
export interface HandlerLatencySnapshot {
  /** Handler calls recorded. */
  count: number;
  /** Sum of handler latencies, in ns. */
  sum_ns: number;
  /** Median latency estimate, in ns (0 when empty). */
  p50_ns: number;
  /** 99th percentile estimate, in ns (0 when empty). */
  p99_ns: number;
  /** Largest latency, in ns, exact (0 when empty). */
  max_ns: number;
}

/**
 * A plain-object view of {@link ServerMetrics}. It has every key of the Go
 * original's `GetStats()` (`uptime` is a number of seconds here, not a Go
 * duration string), plus errors by kind and code, handler latency and the
 * send-queue depth.
 */
export interface ServerMetricsSnapshot extends ClientMetricsSnapshot {
  /** Connections accepted since start. */
  total_connections: number;
  /** Connections open now. */
  current_connections: number;
  /** Connections refused by a limit. */
  connection_refused: number;
  /** Latency of the last handled message, in ns. */
  last_latency_ns: number;
  /** Handler latency summary. */
  handler_latency: HandlerLatencySnapshot;
  /** The send-queue depth the server last reported. */
  send_queue_depth: number;
}

/**
 * The metrics a Taurus server keeps: connections (total, current, refused),
 * messages and bytes, errors by kind and code, handler latency, send-queue
 * depth and uptime. Recording methods are O(1) and allocation-free.
 *
 * @example
 * ```ts
 * const metrics = new ServerMetrics();
 * metrics.connectionOpened();
 * metrics.messageReceived(64);
 * metrics.handlerLatency(12_500); // ns
 * metrics.snapshot().handler_latency.p99_ns;
 * ```
 */
export class ServerMetrics extends ClientMetrics {
  /** Connections accepted since start. */
  readonly connectionsTotal = new Counter();
  /** Connections open now. */
  readonly connectionsCurrent = new Gauge();
  /** Connections refused by a limit. */
  readonly connectionsRefused = new Counter();
  /** Handler latency, in ns. */
  readonly handlerLatencyNs = new Histogram();
  /**
   * Send-queue depth, set by the server: for example the total of queued
   * messages across connections (`inc`/`dec` as messages are queued and
   * written), or the deepest queue at the last check (`set`).
   */
  readonly sendQueueDepth = new Gauge();
  private lastLatency = 0;

  /** Latency of the last handled message, in ns (0 before the first). */
  get lastLatencyNs(): number {
    return this.lastLatency;
  }

  /** Counts an accepted connection: total and current go up by one. */
  connectionOpened(): void {
    this.connectionsTotal.inc();
    this.connectionsCurrent.inc();
  }

  /** Counts a closed connection: current goes down by one. */
  connectionClosed(): void {
    this.connectionsCurrent.dec();
  }

  /** Counts a connection refused by a limit. */
  connectionRefused(): void {
    this.connectionsRefused.inc();
  }

  /**
   * Records one handler call's latency. O(1), allocation-free.
   *
   * @param ns - the latency in nanoseconds
   */
  handlerLatency(ns: number): void {
    this.lastLatency = ns;
    this.handlerLatencyNs.record(ns);
  }

  /** A plain object with every value, safe to serialise and to keep. */
  override snapshot(): ServerMetricsSnapshot {
    const latency = this.handlerLatencyNs;
    return {
      ...super.snapshot(),
      total_connections: this.connectionsTotal.value,
      current_connections: this.connectionsCurrent.value,
      connection_refused: this.connectionsRefused.value,
      last_latency_ns: this.lastLatency,
      handler_latency: {
        count: latency.count,
        sum_ns: latency.sum,
        p50_ns: latency.percentile(50),
        p99_ns: latency.percentile(99),
        max_ns: latency.max,
      },
      send_queue_depth: this.sendQueueDepth.value,
    };
  }
}
