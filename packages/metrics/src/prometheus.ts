import type { ClientMetrics } from "./client-metrics";
import { ERROR_KINDS } from "./error-counts";
import { invalidOption } from "./errors";
import { joinFamilies, type SeriesSpec } from "./prometheus-families";
import { ServerMetrics } from "./server-metrics";

// prom-client is an optional peer: these declarations describe, structurally, the
// little of it the bridge uses, so that no type declaration of this package imports
// it (a project without prom-client then typechecks with skipLibCheck: false).

/**
 * A `prom-client` registry, as the bridge uses it: the `Registry` class of
 * `prom-client` (14 or later), or its global `register`, fits.
 */
export interface PromRegistry {
  /** Returns the metric registered under `name`, if any. */
  getSingleMetric(name: string): unknown;
  /** Unregisters the metric registered under `name`. */
  removeSingleMetric(name: string): void;
}

/** Label values of one series. */
export type PromLabels = Record<string, string>;

/** A `prom-client` `Counter`, as its `collect` callback uses it. */
export interface PromCounter {
  /** Resets every series to 0. */
  reset(): void;
  /** Adds `value` to the series of `labels`. */
  inc(labels: PromLabels, value: number): void;
}

/** A `prom-client` `Gauge`, as its `collect` callback uses it. */
export interface PromGauge {
  /** Removes every series. */
  reset(): void;
  /** Sets the series of `labels` to `value`. */
  set(labels: PromLabels, value: number): void;
}

/**
 * The configuration the bridge gives a `prom-client` metric constructor.
 *
 * @typeParam R - the registry type
 * @typeParam T - the metric, as `collect` sees it
 */
export interface PromMetricConfiguration<R, T> {
  /** The metric name. */
  name: string;
  /** The help text. */
  help: string;
  /** The label names. */
  labelNames: string[];
  /** The registries to register in. */
  registers: R[];
  /** Called at scrape time to update the metric's values. */
  collect(this: T): void;
}

/**
 * A `prom-client` metric class, as the bridge constructs it.
 *
 * @typeParam R - the registry type
 * @typeParam T - the metric, as `collect` sees it
 */
export interface PromMetricClass<R, T> {
  /** Creates the metric and registers it in `configuration.registers`. */
  new (configuration: PromMetricConfiguration<R, T>): unknown;
}

/**
 * The parts of the `prom-client` module the bridge uses. Pass the module
 * itself: `import * as promClient from "prom-client"`.
 *
 * @typeParam R - the module's registry type, inferred from `register`
 */
export interface PromClientModule<R extends PromRegistry = PromRegistry> {
  /** The `Counter` class. */
  Counter: PromMetricClass<R, PromCounter>;
  /** The `Gauge` class. */
  Gauge: PromMetricClass<R, PromGauge>;
  /** The global registry. */
  register: R;
}

/** Default prefix of every metric name: `"taurus_"`. */
export const DEFAULT_PROMETHEUS_PREFIX = "taurus_";

/**
 * Options of {@link registerPrometheus}.
 *
 * @typeParam R - the registry type of the `prom-client` module
 */
export interface PrometheusOptions<R extends PromRegistry = PromRegistry> {
  /**
   * The registry to register the metrics in.
   *
   * @defaultValue `promClient.register`, the module's global registry
   */
  registry?: R;
  /**
   * Prefix of every metric name; must make valid Prometheus names
   * (`[a-zA-Z_:][a-zA-Z0-9_:]*`, or empty).
   *
   * @defaultValue {@link DEFAULT_PROMETHEUS_PREFIX} (`"taurus_"`)
   */
  prefix?: string;
  /**
   * Constant labels added to every series, e.g. `{ server: "chat" }`, to
   * bridge several servers into one registry. Names must be valid label
   * names and not `kind`, `code` or `quantile`.
   *
   * @defaultValue `{}`
   */
  labels?: Record<string, string>;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const RESERVED_LABELS = new Set(["kind", "code", "quantile", "le"]);
const QUANTILES = [
  ["0.5", 50],
  ["0.99", 99],
  ["1", 100],
] as const;

type Labels = Record<string, string>;

/**
 * Exposes {@link ServerMetrics} (or {@link ClientMetrics}) through
 * `prom-client`. Nothing is copied on the hot path: every metric reads the
 * Taurus instruments in its `collect()` callback, at scrape time. The caller
 * passes the `prom-client` module, so `@taurus/metrics` never imports it and
 * works without it installed. Coexists with `collectDefaultMetrics()` on the
 * same registry.
 *
 * Metrics (with the default prefix; server-only ones marked *):
 * - counters: `taurus_connections_total`*, `taurus_connections_refused_total`*,
 *   `taurus_messages_received_total`, `taurus_messages_sent_total`,
 *   `taurus_received_bytes_total`, `taurus_sent_bytes_total`,
 *   `taurus_errors_total{kind}`, `taurus_error_codes_total{code}`,
 *   `taurus_handler_latency_observations_total`* (handler calls) and
 *   `taurus_handler_latency_seconds_total`* (their summed latency);
 * - gauges: `taurus_connections_current`*, `taurus_send_queue_depth`*,
 *   `taurus_uptime_seconds`, `taurus_last_latency_seconds`*, and
 *   `taurus_handler_latency_seconds{quantile="0.5"|"0.99"|"1"}`*: the
 *   histogram's p50, p99 and max since start (estimates within 6.25 %, see
 *   {@link HISTOGRAM_RELATIVE_ERROR}). The histogram is not exported as a
 *   Prometheus histogram, whose bucket counts `prom-client` cannot take from
 *   outside; use `rate(..._seconds_total) / rate(..._observations_total)` for
 *   a windowed mean.
 *
 * @typeParam R - the registry type of the `prom-client` module (inferred)
 * @param promClient - the `prom-client` module (>= 14)
 * @param metrics - the metrics to expose
 * @param options - see {@link PrometheusOptions}; the object is not kept or modified
 * Several sources share one registry and one prefix when their constant
 * `labels` tell them apart (the same label names, other values): e.g. a JSON
 * and a binary server registered with `{ protocol: "json" }` and
 * `{ protocol: "binary" }` give one `taurus_messages_received_total` with two
 * series. A metric only servers have carries only the servers' series.
 *
 * @returns a function that takes this source's series out again (idempotent);
 *   a metric left without series is unregistered
 * @throws `TaurusError` (`code: "INVALID_OPTION"`) when `prefix` or
 *   `labels` is invalid; `option: "prefix"` when a metric name is already
 *   registered in the registry by someone else; `option: "labels"` when
 *   another source under this prefix has other label names, or the same
 *   label values. Nothing is registered when it throws.
 *
 * @example
 * ```ts
 * import * as promClient from "prom-client";
 * const registry = new promClient.Registry();
 * promClient.collectDefaultMetrics({ register: registry });
 * const unregister = registerPrometheus(promClient, server.metrics, { registry });
 * http.createServer(async (_req, res) => res.end(await registry.metrics())).listen(9100);
 * ```
 */
export function registerPrometheus<R extends PromRegistry>(
  promClient: PromClientModule<R>,
  metrics: ClientMetrics,
  options: PrometheusOptions<R> = {},
): () => void {
  const registry = options.registry ?? promClient.register;
  const prefix = options.prefix ?? DEFAULT_PROMETHEUS_PREFIX;
  if (typeof prefix !== "string" || (prefix !== "" && !NAME.test(prefix))) {
    throw invalidOption("prefix", "a valid Prometheus name prefix", prefix);
  }
  const labels = checkLabels(options.labels ?? {});
  const server = metrics instanceof ServerMetrics ? metrics : undefined;

  const specs: SeriesSpec[] = [];
  const counter = (name: string, help: string, read: () => number): void => {
    specs.push({
      name: prefix + name,
      help,
      type: "counter",
      extraLabels: [],
      read: (emit) => emit({}, read()),
    });
  };
  const gauge = (name: string, help: string, read: () => number): void => {
    specs.push({
      name: prefix + name,
      help,
      type: "gauge",
      extraLabels: [],
      read: (emit) => emit({}, read()),
    });
  };
  counter("messages_received_total", "Messages received.", () => metrics.messagesReceived.value);
  counter("messages_sent_total", "Messages sent.", () => metrics.messagesSent.value);
  counter("received_bytes_total", "Bytes received.", () => metrics.bytesReceived.value);
  counter("sent_bytes_total", "Bytes sent.", () => metrics.bytesSent.value);
  gauge("uptime_seconds", "Seconds since the metrics were created.", () => metrics.uptime);
  specs.push(
    {
      name: `${prefix}errors_total`,
      help: "Errors by kind.",
      type: "counter",
      extraLabels: ["kind"],
      read(emit) {
        const byKind = metrics.errorsByKind();
        for (const kind of ERROR_KINDS) emit({ kind }, byKind[kind]);
      },
    },
    {
      name: `${prefix}error_codes_total`,
      help: "Errors by code (codes beyond the cap are counted as other).",
      type: "counter",
      extraLabels: ["code"],
      read(emit) {
        for (const [code, count] of Object.entries(metrics.errorsByCode())) emit({ code }, count);
      },
    },
  );
  if (server !== undefined) {
    const latency = server.handlerLatencyNs;
    counter("connections_total", "Connections accepted.", () => server.connectionsTotal.value);
    counter(
      "connections_refused_total",
      "Connections refused by a limit.",
      () => server.connectionsRefused.value,
    );
    counter("handler_latency_observations_total", "Handler calls timed.", () => latency.count);
    counter(
      "handler_latency_seconds_total",
      "Total handler latency in seconds.",
      () => latency.sum / 1e9,
    );
    gauge("connections_current", "Connections open now.", () => server.connectionsCurrent.value);
    gauge(
      "send_queue_depth",
      "Send-queue depth reported by the server.",
      () => server.sendQueueDepth.value,
    );
    gauge(
      "last_latency_seconds",
      "Latency of the last handled message in seconds.",
      () => server.lastLatencyNs / 1e9,
    );
    specs.push({
      name: `${prefix}handler_latency_seconds`,
      help: "Handler latency quantiles since start in seconds (quantile 1 is the max).",
      type: "gauge",
      extraLabels: ["quantile"],
      read(emit) {
        for (const [quantile, p] of QUANTILES) emit({ quantile }, latency.percentile(p) / 1e9);
      },
    });
  }
  return joinFamilies(promClient, registry, specs, labels, prefix);
}

function checkLabels(labels: Labels): Labels {
  if (typeof labels !== "object" || labels === null) {
    throw invalidOption("labels", "an object of string label values", labels);
  }
  const copy: Labels = {};
  for (const [name, value] of Object.entries(labels)) {
    if (!LABEL.test(name) || name.startsWith("__") || RESERVED_LABELS.has(name)) {
      throw invalidOption("labels", "valid label names other than kind, code, quantile, le", name);
    }
    if (typeof value !== "string") {
      throw invalidOption("labels", "string label values", value);
    }
    copy[name] = value;
  }
  return copy;
}
