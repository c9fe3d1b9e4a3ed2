import { type DropReason, dropReasonCode } from "@taurus/core-conn";
import type { ServerMetricsSnapshot } from "@taurus/metrics";

const REASONS: readonly DropReason[] = [
  "invalid_format",
  "checksum",
  "too_large",
  "malformed_body",
];

/**
 * A server's counters in the vocabulary every Taurus stats object shares
 * (a connection's `stats`, a client's `stats`, an adapter's `stats()`):
 * `messagesIn`, `messagesOut`, `bytesIn`, `bytesOut`, `errorsByCode`,
 * `drops`. The Go-compatible snake_case view stays `metrics.snapshot()`.
 */
export interface ServerStats {
  /** Messages received from every connection, since the server was created. */
  messagesIn: number;
  /** Messages sent to every connection. */
  messagesOut: number;
  /** Bytes received (framed size). */
  bytesIn: number;
  /** Bytes sent (framed size). */
  bytesOut: number;
  /** Errors by code; codes beyond the metrics' cap are summed under `"other"`. */
  errorsByCode: Record<string, number>;
  /** Inbound bytes dropped, by reason (each drop is also counted in `errorsByCode`). */
  drops: Record<DropReason, number>;
  /** Connections open now. */
  connections: number;
  /** Connections accepted since the server was created. */
  totalConnections: number;
  /** Connections refused by a limit. */
  refusedConnections: number;
}

/** @internal The {@link ServerStats} of a metrics snapshot. */
export function serverStats(s: ServerMetricsSnapshot): ServerStats {
  const drops = {} as Record<DropReason, number>;
  for (const reason of REASONS) drops[reason] = s.errors_by_code[dropReasonCode(reason)] ?? 0;
  return {
    messagesIn: s.messages_received,
    messagesOut: s.messages_sent,
    bytesIn: s.bytes_received,
    bytesOut: s.bytes_sent,
    errorsByCode: { ...s.errors_by_code },
    drops,
    connections: s.current_connections,
    totalConnections: s.total_connections,
    refusedConnections: s.connection_refused,
  };
}
