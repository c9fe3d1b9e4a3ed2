import type { ConnectionStats, DropReason, ErrorKind } from "@taurus/core-conn";

/** The states of a client; see {@link TaurusClient.state}. */
export type ClientState = "idle" | "connecting" | "connected" | "reconnecting" | "closed";

/**
 * Counters of a client, summed over every connection it has had (the Go
 * original's `Stats`, plus reconnections, drops and the current state).
 * `messagesIn`, `messagesOut`, `bytesIn`, `bytesOut`, `errors` (by kind),
 * `errorsByCode` and `drops` have the names and meaning they have on a
 * connection, the server and the Redis adapter.
 */
export interface ClientStats {
  /** The client's state when the stats were read. */
  state: ClientState;
  /** Messages received and decoded (replies and heartbeats included). */
  messagesIn: number;
  /** Messages handed to the socket. */
  messagesOut: number;
  /** Bytes read from the socket. */
  bytesIn: number;
  /** Bytes handed to the socket. */
  bytesOut: number;
  /** Errors by code, the client's own and its connections'. */
  errorsByCode: Record<string, number>;
  /** Messages handed to the socket. @deprecated Use `messagesOut`. */
  messagesSent: number;
  /** Messages received and decoded. @deprecated Use `messagesIn`. */
  messagesReceived: number;
  /** Bytes handed to the socket. @deprecated Use `bytesOut`. */
  bytesSent: number;
  /** Bytes read from the socket. @deprecated Use `bytesIn`. */
  bytesReceived: number;
  /** Errors by kind, the client's own and its connections' (as `Connection.stats.errors`). */
  errors: Record<ErrorKind, number>;
  /** Errors by kind. @deprecated Use `errors`, the same record. */
  errorsByKind: Record<ErrorKind, number>;
  /** Inbound bytes dropped, by reason (each drop is also a protocol error). */
  drops: Record<DropReason, number>;
  /** Connections established after the first one. */
  reconnects: number;
  /** Messages discarded unsent because the client was closed (or gave up) while disconnected. */
  discarded: number;
}

/** @internal Counters kept by the client itself, and those of connections that are gone. */
export class StatsAccumulator {
  messagesSent = 0;
  messagesReceived = 0;
  bytesSent = 0;
  bytesReceived = 0;
  reconnects = 0;
  discarded = 0;
  readonly errorsByKind: Record<ErrorKind, number> = {
    connection: 0,
    protocol: 0,
    system: 0,
    buffer: 0,
  };
  readonly drops: Record<DropReason, number> = {
    invalid_format: 0,
    checksum: 0,
    too_large: 0,
    malformed_body: 0,
  };

  readonly errorsByCode: Record<string, number> = {};

  /** Counts an error the client raised itself (not one a connection counted). */
  error(kind: ErrorKind, code?: string): void {
    this.errorsByKind[kind]++;
    if (code !== undefined) this.errorsByCode[code] = (this.errorsByCode[code] ?? 0) + 1;
  }

  /** Adds the counters of a connection that is gone. */
  add(stats: ConnectionStats): void {
    this.messagesSent += stats.messagesOut;
    this.messagesReceived += stats.messagesIn;
    this.bytesSent += stats.bytesOut;
    this.bytesReceived += stats.bytesIn;
    for (const kind of Object.keys(this.errorsByKind) as ErrorKind[])
      this.errorsByKind[kind] += stats.errors[kind];
    for (const reason of Object.keys(this.drops) as DropReason[])
      this.drops[reason] += stats.drops[reason];
    addCodes(this.errorsByCode, stats.errorsByCode);
  }

  /** A snapshot: these totals plus the live connection's counters, if any. */
  snapshot(state: ClientState, live: ConnectionStats | undefined): ClientStats {
    const errorsByKind = { ...this.errorsByKind };
    const errorsByCode = { ...this.errorsByCode };
    const drops = { ...this.drops };
    if (live) {
      for (const kind of Object.keys(errorsByKind) as ErrorKind[])
        errorsByKind[kind] += live.errors[kind];
      for (const reason of Object.keys(drops) as DropReason[]) drops[reason] += live.drops[reason];
      addCodes(errorsByCode, live.errorsByCode);
    }
    const messagesOut = this.messagesSent + (live?.messagesOut ?? 0);
    const messagesIn = this.messagesReceived + (live?.messagesIn ?? 0);
    const bytesOut = this.bytesSent + (live?.bytesOut ?? 0);
    const bytesIn = this.bytesReceived + (live?.bytesIn ?? 0);
    return {
      state,
      messagesIn,
      messagesOut,
      bytesIn,
      bytesOut,
      errorsByCode,
      messagesSent: messagesOut,
      messagesReceived: messagesIn,
      bytesSent: bytesOut,
      bytesReceived: bytesIn,
      errors: errorsByKind,
      errorsByKind,
      drops,
      reconnects: this.reconnects,
      discarded: this.discarded,
    };
  }
}

/** Adds the counts of `from` to `to`, code by code. */
function addCodes(to: Record<string, number>, from: Readonly<Record<string, number>>): void {
  for (const code in from) to[code] = (to[code] ?? 0) + (from[code] as number);
}
