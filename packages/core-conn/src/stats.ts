import type { ErrorKind } from "./errors";
import type { DropReason } from "./protocol";

/**
 * Counters of one {@link Connection}: what `conn.stats` returns, a snapshot
 * taken at each read (read `conn.stats` again for newer figures). The error
 * and drop counts are frozen shared zeros until the connection's first error
 * or drop.
 */
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

/**
 * A connection's traffic counters, kept as fields of the connection itself
 * (no object per connection for them). @internal
 */
export interface TrafficCounts {
  messagesIn: number;
  keepalivesIn: number;
  messagesOut: number;
  bytesIn: number;
  bytesOut: number;
}

/** A connection's error and drop counts, made at its first error or drop. @internal */
export interface FaultCounts {
  errors: Record<ErrorKind, number>;
  errorsByCode: Record<string, number>;
  drops: Record<DropReason, number>;
}

/** @internal Counts for a connection's first error or drop. */
export function newFaultCounts(): FaultCounts {
  return { errors: { ...NO_KINDS }, errorsByCode: {}, drops: { ...NO_DROPS } };
}

/** @internal Counts an error of `kind` with `code`. */
export function countError(faults: FaultCounts, kind: ErrorKind, code: string): void {
  faults.errors[kind]++;
  faults.errorsByCode[code] = (faults.errorsByCode[code] ?? 0) + 1;
}

/**
 * @internal A {@link ConnectionStats} of `counts` and `faults` as they are now:
 * the error and drop counts are copies, or the shared zeros before the first one.
 */
export function statsSnapshot(
  counts: TrafficCounts,
  faults: FaultCounts | undefined,
): ConnectionStats {
  return {
    messagesIn: counts.messagesIn,
    keepalivesIn: counts.keepalivesIn,
    messagesOut: counts.messagesOut,
    bytesIn: counts.bytesIn,
    bytesOut: counts.bytesOut,
    errors: faults === undefined ? (NO_KINDS as Record<ErrorKind, number>) : { ...faults.errors },
    errorsByCode: faults === undefined ? NO_ERRORS : { ...faults.errorsByCode },
    drops: faults === undefined ? (NO_DROPS as Record<DropReason, number>) : { ...faults.drops },
  };
}
