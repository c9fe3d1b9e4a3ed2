// The public types of the server: its configuration, its events and what its
// broadcasts and shutdown report.
import type {
  Connection,
  Protocol,
  SessionInfo,
  SessionLostInfo,
  TaurusError,
} from "@taurus/core-conn";
import type { ServerMetrics } from "@taurus/metrics";
import type { BackplaneOptions } from "./adapter";
import type { ServerHandler } from "./handler";
import type { ServerOptions } from "./options";
import type { RoomOptions } from "./rooms";

/** Everything {@link createServer} takes: a protocol, a handler, and the options. */
export interface ServerConfig<M> extends ServerOptions {
  /** The wire protocol every connection speaks. */
  protocol: Protocol<M>;
  /** The application's callbacks. @defaultValue no callbacks */
  handler?: ServerHandler<M>;
  /** Where to count; pass one to share it or read it elsewhere. @defaultValue a new `ServerMetrics` */
  metrics?: ServerMetrics;
  /**
   * Where broadcasts also go: the server joins the adapter's channel, each
   * {@link TaurusServer.broadcast} is published there as neutral bytes once,
   * and what other members publish is decoded, re-encoded for this server's
   * protocol and sent to every connection here.
   * @defaultValue none: broadcasts stay within this server
   */
  backplane?: BackplaneOptions<M>;
  /** Limits on rooms (see {@link TaurusServer.rooms}). @defaultValue see {@link RoomOptions} */
  rooms?: RoomOptions;
}

/** Options of {@link TaurusServer.broadcast}. */
export interface BroadcastOptions<M> {
  /** A connection (or its id) that does not get the message, typically the sender. */
  except?: Connection<M> | string;
  /** `true`: only this server's connections, not published on the backplane. @defaultValue `false` */
  local?: boolean;
}

/** What {@link TaurusServer.broadcast} did. */
export interface BroadcastResult {
  /** Connections the frame was queued on (with sessions, also the sessions whose client is away: kept for their resume). */
  sent: number;
  /** Connections whose send queue was full (each also reported to `onError`). */
  failed: number;
}

/** What {@link TaurusServer.close} did. */
export interface ShutdownReport {
  /** Connections that finished cleanly: handlers done, queues flushed, closed. */
  closed: number;
  /**
   * Connections destroyed when `shutdownTimeout` ran out. Each is reset (a
   * peer still reading sees a connection reset, not a clean end of stream;
   * over TLS, a close) so that it can tell its data was cut off.
   */
  forced: number;
  /** Per forced connection, what it still held that its peer never got. */
  discarded: DiscardedAtShutdown[];
}

/** What one connection still held when the shutdown deadline destroyed it. */
export interface DiscardedAtShutdown {
  /** The connection's id. */
  id: string;
  /** The peer's address, when known. */
  remoteAddress?: string;
  /** The peer's port, when known. */
  remotePort?: number;
  /** Messages accepted by `send` and still in the send queue. */
  messages: number;
  /** Bytes accepted by `send` and not yet written out (send queue and socket buffer). */
  bytes: number;
}

/** The events of a {@link TaurusServer}. */
export interface ServerEvents<M> {
  /** A connection was accepted (after `onConnect` was called). */
  connection: [conn: Connection<M>];
  /** The server stopped listening and every connection is closed. */
  close: [report: ShutdownReport];
  /**
   * A non-fatal error, as the handler's `onError` gets it (both are called): a
   * handler failed, bytes were dropped, a connection was refused or closed by a
   * limit... `conn` is the connection concerned, when there is one. Emitted only
   * when a listener is attached (an unheard `error` never throws), as on the
   * client; a listener that throws is ignored.
   */
  error: [error: TaurusError, conn: Connection<M> | undefined];
  /**
   * The process ran out of file descriptors (`FD_EXHAUSTED`, also reported
   * once to `onError`): seen on an accept, or by the check the server makes
   * once a second while listening. The listener keeps its port; the
   * connections the system cannot accept meanwhile are dropped by it.
   */
  acceptPaused: [error: TaurusError];
  /** File descriptors are available again (a connection was accepted, or the check passed). */
  acceptResumed: [];
  /** A session started on `conn` (with the `sessions` option). */
  sessionStarted: [info: SessionInfo, conn: Connection<M>];
  /**
   * A session was resumed on `conn`; `info.replayed` messages were sent again.
   * `previous` is the connection it resumed from when that was in this process
   * (`undefined` when it was restored from a shared store): `conn` took its
   * rooms, and what is sent to `previous` reaches `conn`.
   */
  sessionResumed: [info: SessionInfo, conn: Connection<M>, previous: Connection<M> | undefined];
  /** A session cannot be resumed: what may be lost is counted, never silent. */
  sessionLost: [info: SessionLostInfo];
}
