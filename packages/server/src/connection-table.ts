// Every connection of a server, from its set-up to its teardown, in one place: the
// limiters a connection gets (its own message and byte rates, its address's shared
// rate), the Connection itself, the runner of its handler (Session, the connection's
// owner: no listeners), the session layer's watch, and on close, everything released again.
import {
  Connection,
  type ConnectionMetricsSink,
  type ConnectionSocket,
  type FarewellHook,
  type Protocol,
  TaurusError,
} from "@taurus/core-conn";
import { connectionSerial, OWNER, serialOfConnectionId } from "@taurus/core-conn/internal";
import type { ServerMetrics } from "@taurus/metrics";
import { TokenBucket } from "@taurus/ratelimit";
import type { AddressPass } from "./address-guard";
import { ConnectionSweep } from "./connection-sweep";
import { FrameMeter } from "./frame-meter";
import type { ServerHandler } from "./handler";
import type { ResolvedServerOptions } from "./options";
import { type RunnerHost, Session } from "./session";
import type { SessionManager } from "./session/manager";

/** What the table needs of its server. @internal */
export interface TableHost<M> {
  readonly protocol: Protocol<M>;
  readonly options: ResolvedServerOptions;
  readonly handler: ServerHandler<M>;
  readonly metrics: ServerMetrics;
  readonly sink: ConnectionMetricsSink;
  readonly farewell: FarewellHook | undefined;
  readonly sessionManager: SessionManager<M> | undefined;
  /** Reports a non-fatal error to the handler's `onError`. */
  report(error: TaurusError, conn: Connection<M> | undefined): void;
  /** A connection is set up (the server emits `connection`). */
  opened(conn: Connection<M>): void;
  /** A connection closed and is forgotten here: the server's rooms and away sessions follow. */
  released(conn: Connection<M>): void;
}

/** The live connections of a server, by id, with what each holds. @internal */
export class ConnectionTable<M> {
  /**
   * The runners, by their connection's counter (`connectionSerial`): keyed by the id
   * string, every idle connection would keep one.
   */
  private readonly runners = new Map<number, Session<M>>();
  /** What every runner shares. */
  private readonly runnerHost: RunnerHost<M>;
  /** Visits the deadlines of every connection in the table, as one member of the process's sweeper. */
  private readonly sweep = new ConnectionSweep(() => this.connections());

  constructor(private readonly host: TableHost<M>) {
    const o = host.options;
    this.runnerHost = {
      handler: host.handler,
      metrics: host.metrics,
      policy: o.rateLimitPolicy,
      report: host.report,
      admissionTimeout: o.handshakeTimeout,
      closed: (conn, error) => this.closed(conn, error),
    };
  }

  private *connections(): IterableIterator<Connection<unknown>> {
    for (const runner of this.runners.values()) yield runner.conn as Connection<unknown>;
  }

  /** Connections set up and not closed. */
  get size(): number {
    return this.runners.size;
  }

  /** The runner of connection `id`. */
  get(id: string): Session<M> | undefined {
    const serial = serialOfConnectionId(id);
    return serial === undefined ? undefined : this.runners.get(serial);
  }

  /** The runners of every live connection. */
  values(): IterableIterator<Session<M>> {
    return this.runners.values();
  }

  /** Sets up a connection on `socket`, admitted with `pass` (per-address limits). */
  open(socket: ConnectionSocket, pass: AddressPass | undefined): void {
    const host = this.host;
    const o = host.options;
    const pausing = o.rateLimitPolicy === "pause" && Number.isFinite(o.rateLimit);
    const own = Number.isFinite(o.rateLimit)
      ? new TokenBucket({ rate: o.rateLimit, burst: o.rateLimitBurst })
      : undefined;
    const bytes = Number.isFinite(o.inboundBytesPerSecond)
      ? new TokenBucket({ rate: o.inboundBytesPerSecond })
      : undefined;
    const meterOwn = pausing ? own : undefined;
    const meter =
      meterOwn || pass?.messages || bytes
        ? new FrameMeter(meterOwn, pass?.messages, bytes)
        : undefined;
    const conn = new Connection(socket, host.protocol, {
      maxMessageSize: o.maxMessageSize,
      sendQueueSize: o.sendQueueSize,
      sendQueueBytes: o.sendQueueBytes,
      idleTimeout: o.idleTimeout,
      handshakeTimeout: o.handshakeTimeout,
      frameTimeout: o.frameTimeout,
      writeTimeout: o.writeTimeout,
      slowConsumerPolicy: o.slowConsumerPolicy,
      pauseOnFullQueue: true,
      inboundLimiter: meter,
      memoryBudget: o.memoryBudget,
      farewell: host.farewell,
      metrics: host.sink,
      // In the table from this tick until it closes, as the sweep needs.
      sweeper: this.sweep,
    });
    const runner = new Session(conn, this.runnerHost, pausing ? undefined : own);
    runner.pass = pass;
    // The runner is the connection's owner: told of its messages, drops, end and
    // close, with no listeners (nor their event table) per connection.
    conn[OWNER] = runner;
    this.runners.set(connectionSerial(conn) as number, runner);
    host.sessionManager?.watch(conn, runner);
    host.metrics.connectionOpened();
    runner.start();
    host.opened(conn);
  }

  /** A connection closed: forget it everywhere (its session first), then tell the handler. */
  private closed(conn: Connection<M>, error: TaurusError | undefined): void {
    const host = this.host;
    host.sessionManager?.closed(conn);
    const runner = conn[OWNER] as Session<M> | undefined;
    this.runners.delete(connectionSerial(conn) as number);
    host.released(conn);
    runner?.dispose();
    const pass = runner?.pass;
    if (pass) {
      runner.pass = undefined;
      pass.release();
    }
    host.metrics.connectionClosed();
    if (error) host.report(error, conn);
    try {
      host.handler.onClose?.(error, conn);
    } catch (err) {
      // Counted and reported as a throwing onMessage is (Session.failed).
      const failed = new TaurusError("HANDLER_FAILED", `handler failed: ${String(err)}`, {
        cause: err,
      });
      host.metrics.error(failed.kind, failed.code);
      host.report(failed, conn);
    }
  }
}
