import type { ConnectionStats, DropReason, ErrorKind } from "@taurus/core-conn";

/** The states of a client; see {@link TaurusClient.state}. */
export type ClientState = "idle" | "connecting" | "connected" | "reconnecting" | "closed";

/**
 * Counters of a client, summed over every connection it has had (the Go
 * original's `Stats`, plus reconnections, drops and the current state).
 */
export interface ClientStats {
  /** The client's state when the stats were read. */
  state: ClientState;
  /** Messages handed to the socket. */
  messagesSent: number;
  /** Messages received and decoded (replies and heartbeats included). */
  messagesReceived: number;
  /** Bytes handed to the socket. */
  bytesSent: number;
  /** Bytes read from the socket. */
  bytesReceived: number;
  /** Errors of every kind. */
  errors: number;
  /** Errors by kind. */
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

  /** Counts an error the client raised itself (not one a connection counted). */
  error(kind: ErrorKind): void {
    this.errorsByKind[kind]++;
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
  }

  /** A snapshot: these totals plus the live connection's counters, if any. */
  snapshot(state: ClientState, live: ConnectionStats | undefined): ClientStats {
    const errorsByKind = { ...this.errorsByKind };
    const drops = { ...this.drops };
    if (live) {
      for (const kind of Object.keys(errorsByKind) as ErrorKind[])
        errorsByKind[kind] += live.errors[kind];
      for (const reason of Object.keys(drops) as DropReason[]) drops[reason] += live.drops[reason];
    }
    return {
      state,
      messagesSent: this.messagesSent + (live?.messagesOut ?? 0),
      messagesReceived: this.messagesReceived + (live?.messagesIn ?? 0),
      bytesSent: this.bytesSent + (live?.bytesOut ?? 0),
      bytesReceived: this.bytesReceived + (live?.bytesIn ?? 0),
      errors:
        errorsByKind.connection + errorsByKind.protocol + errorsByKind.system + errorsByKind.buffer,
      errorsByKind,
      drops,
      reconnects: this.reconnects,
      discarded: this.discarded,
    };
  }
}
