import type { ConnectionMetricsSink } from "@taurus/core-conn";
import type { ClientMetrics } from "@taurus/metrics";

/** Feeds every connection's counts of a client into its metrics. @internal */
export function clientMetricsSink(metrics: ClientMetrics): ConnectionMetricsSink {
  return {
    messageReceived: (bytes) => metrics.messageReceived(bytes),
    messagesSent: (messages, bytes) => {
      metrics.messagesSent.inc(messages);
      metrics.bytesSent.inc(bytes);
    },
    error: (kind, code) => metrics.error(kind, code),
  };
}
