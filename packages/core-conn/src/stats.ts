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

/** Shared zero counts by kind and by drop reason, until a connection's first error or drop. */
const NO_KINDS: Readonly<Record<ErrorKind, number>> = Object.freeze({
  connection: 0,
  protocol: 0,
  system: 0,
  buffer: 0,
});
const NO_DROPS: Readonly<Record<DropReason, number>> = Object.freeze({
  invalid_format: 0,
  checksum: 0,
  too_large: 0,
  malformed_body: 0,
});

/** @internal Counts an error of `kind` in `stats.errors` (copied from the shared zeros on the first one). */
export function countErrorKind(stats: ConnectionStats, kind: ErrorKind): void {
  if (stats.errors === NO_KINDS) stats.errors = { ...NO_KINDS };
  stats.errors[kind]++;
}

/** @internal Counts a drop for `reason` in `stats.drops` (copied from the shared zeros on the first one). */
export function countDropReason(stats: ConnectionStats, reason: DropReason): void {
  if (stats.drops === NO_DROPS) stats.drops = { ...NO_DROPS };
  stats.drops[reason]++;
}

/** @internal A connection's counters; the error and drop counts are shared zeros until the first one. */
export function newConnectionStats(): ConnectionStats {
  return {
    messagesIn: 0,
    keepalivesIn: 0,
    messagesOut: 0,
    bytesIn: 0,
    bytesOut: 0,
    errors: NO_KINDS as Record<ErrorKind, number>,
    errorsByCode: NO_ERRORS,
    drops: NO_DROPS as Record<DropReason, number>,
  };
}
