// Every connection of a server, from its set-up to its teardown, in one place: the
// limiters a connection gets (its own message and byte rates, its address's shared
// rate), the Connection itself, the runner of its handler (Session), the session
// layer's watch, the listeners, and on close, everything released again.
import {
  Connection,
  type ConnectionMetricsSink,
  type ConnectionSocket,
  type FarewellHook,
  type Protocol,
  TaurusError,
} from "@taurus/core-conn";
import type { ServerMetrics } from "@taurus/metrics";
import { TokenBucket } from "@taurus/ratelimit";
import type { AddressPass } from "./address-guard";
import { FrameMeter } from "./frame-meter";
import type { ServerHandler } from "./handler";
import type { ResolvedServerOptions } from "./options";
import { Session } from "./session";
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
  private readonly runners = new Map<string, Session<M>>();
  /** The per-address pass of each connection that holds one (per-address limits). */
  private readonly passes = new Map<string, AddressPass>();

  constructor(private readonly host: TableHost<M>) {}

  /** Connections set up and not closed. */
  get size(): number {
    return this.runners.size;
  }

  /** The runner of connection `id`. */
  get(id: string): Session<M> | undefined {
    return this.runners.get(id);
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
    });
    const runner = new Session(
      conn,
      host.handler,
      host.metrics,
      pausing ? undefined : own,
      o.rateLimitPolicy,
      host.report,
      o.handshakeTimeout,
    );
    this.runners.set(conn.id, runner);
    if (pass) this.passes.set(conn.id, pass);
    host.sessionManager?.watch(conn, runner);
    host.metrics.connectionOpened();
    // Listeners shared by every connection (`this` is the connection): no closures per connection.
    conn.on("drop", this.connDrop);
    conn.on("end", this.connEnd);
    conn.on("close", this.connClose);
    runner.start();
    host.opened(conn);
  }

  /** A connection dropped inbound bytes. */
  private readonly connDrop = ((table: ConnectionTable<M>) =>
    function (this: Connection<M>, error: TaurusError): void {
      table.host.report(error, this);
    })(this);

  /** A connection's peer ended: its handlers finish, then it ends. */
  private readonly connEnd = ((table: ConnectionTable<M>) =>
    function (this: Connection<M>): void {
      const runner = table.runners.get(this.id);
      void (runner ? runner.idle() : Promise.resolve()).then(() => this.close());
    })(this);

  /** A connection closed: forget it everywhere, then tell the handler. */
  private readonly connClose = ((table: ConnectionTable<M>) =>
    function (this: Connection<M>, error: TaurusError | undefined): void {
      table.closed(this, error);
    })(this);

  private closed(conn: Connection<M>, error: TaurusError | undefined): void {
    const host = this.host;
    const runner = this.runners.get(conn.id);
    this.runners.delete(conn.id);
    host.released(conn);
    runner?.dispose();
    const pass = this.passes.get(conn.id);
    if (pass) {
      this.passes.delete(conn.id);
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
