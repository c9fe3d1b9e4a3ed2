import type { ErrorKind } from "./errors";
import type { DropReason } from "./protocol";

/** Counters of one {@link Connection}, updated as traffic flows. Read them; do not write them. */
export interface ConnectionStats {
  /** Messages decoded and delivered. */
  messagesIn: number;
  /** Keepalive pings and pongs received (not counted in `messagesIn`, never delivered). */
  keepalivesIn: number;
  /** Messages handed to the socket. */
  messagesOut: number;
  /** Bytes read from the socket. */
  bytesIn: number;
  /** Bytes handed to the socket. */
  bytesOut: number;
  /** Errors by kind (drops are protocol errors; a full send queue is a buffer error). */
  errors: Record<ErrorKind, number>;
  /**
   * Errors by code (`SEND_QUEUE_FULL`, `INVALID_FORMAT`...), the same errors
   * as `errors` counted by their stable code: the name every Taurus stats
   * object (connection, client, server, adapter) uses.
   */
  errorsByCode: Readonly<Record<string, number>>;
  /** Drops of inbound bytes, by reason. */
  drops: Record<DropReason, number>;
}

/** Shared by every connection until its first error: no object per connection for nothing. */
const NO_ERRORS: Readonly<Record<string, number>> = Object.freeze({});

/** @internal Counts an error by its code in `stats.errorsByCode` (copied on the first one). */
export function countErrorCode(stats: ConnectionStats, code: string): void {
  const byCode = (stats.errorsByCode === NO_ERRORS ? {} : stats.errorsByCode) as Record<
    string,
    number
  >;
  byCode[code] = (byCode[code] ?? 0) + 1;
  stats.errorsByCode = byCode;
}

/** @internal */
export function newConnectionStats(): ConnectionStats {
  return {
    messagesIn: 0,
    keepalivesIn: 0,
    messagesOut: 0,
    bytesIn: 0,
    bytesOut: 0,
    errors: { connection: 0, protocol: 0, system: 0, buffer: 0 },
    errorsByCode: NO_ERRORS,
    drops: { invalid_format: 0, checksum: 0, too_large: 0, malformed_body: 0 },
  };
}
