export type { ClientMetricsSnapshot, MetricsOptions } from "./client-metrics";
export { ClientMetrics } from "./client-metrics";
export type { Clock } from "./clock";
export { DEFAULT_CLOCK } from "./clock";
export { Counter } from "./counter";
export type { ErrorKind, ErrorsByKind } from "./error-counts";
export { DEFAULT_MAX_ERROR_CODES, ERROR_KINDS, OTHER_ERROR_CODE } from "./error-counts";
export { Gauge } from "./gauge";
export { Histogram } from "./histogram";
export {
  HISTOGRAM_MAX_NS,
  HISTOGRAM_MIN_NS,
  HISTOGRAM_RELATIVE_ERROR,
  HISTOGRAM_SUB_BUCKETS,
} from "./histogram-buckets";
export type {
  PromClientModule,
  PromCounter,
  PrometheusOptions,
  PromGauge,
  PromLabels,
  PromMetricClass,
  PromMetricConfiguration,
  PromRegistry,
} from "./prometheus";
export { DEFAULT_PROMETHEUS_PREFIX, registerPrometheus } from "./prometheus";
export type { HandlerLatencySnapshot, ServerMetricsSnapshot } from "./server-metrics";
export { ServerMetrics } from "./server-metrics";
