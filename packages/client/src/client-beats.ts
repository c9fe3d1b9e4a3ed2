// What keeps a client's connection alive and checked: the protocol's keepalive pings
// (one probe per connection until the server proves it answers them), or the
// application's own heartbeat with its dead-peer timeout.
import { type Connection, type Protocol, TaurusError } from "@taurus/core-conn";
import { Heartbeat } from "./heartbeat";
import type { ResolvedClientOptions } from "./options";

/** What the beats need of their client. @internal */
export interface BeatsHost<M> {
  /** The live connection, when connected. */
  connection(): Connection<M> | undefined;
  /** Whether messages wait in the offline queue (a heartbeat would overtake them). */
  offlineWaiting(): boolean;
  /** Encodes a message as `send` does (it throws what `send` throws). */
  encode(message: M): Uint8Array;
  /**
   * Sends an encoded data frame as `send` does: a session held counts it (the server
   * counts every data frame of a session, heartbeats included). It throws what `send` throws.
   */
  send(frame: Uint8Array): void;
  /** Reports a non-fatal error. */
  report(error: TaurusError): void;
  /** Whether the client asks for sessions; `held`: whether the server granted one. */
  session(): { held: boolean } | undefined;
}

/** @internal */
export class ClientBeats<M> {
  private readonly heartbeat: Heartbeat | undefined;
  /** The protocol's keepalive ping, when the default heartbeat is on. */
  private readonly keepalivePing: M | undefined;
  /** Messages sent on the connection at the last keepalive beat. */
  private sentAtBeat = 0;
  /** The live connection's one keepalive probe went out (more follow only after a pong). */
  private probed = false;

  constructor(
    private readonly options: ResolvedClientOptions<M>,
    protocol: Protocol<M>,
    private readonly host: BeatsHost<M>,
  ) {
    const hb = options.heartbeat;
    const keepalive = hb === undefined ? protocol.keepalive : undefined;
    const isPaused = () => host.connection()?.isPaused === true;
    if (keepalive && options.keepaliveInterval > 0) {
      this.keepalivePing = keepalive.ping;
      this.heartbeat = new Heartbeat(
        options.keepaliveInterval,
        0,
        this.sendKeepalive,
        this.onTimeout,
        isPaused,
      );
    } else if (hb) {
      this.heartbeat = new Heartbeat(
        hb.interval,
        hb.timeout,
        this.sendHeartbeat,
        this.onTimeout,
        isPaused,
      );
    }
  }

  /** A connection is established: beats start on it, and the first keepalive (a probe) goes out. */
  start(conn: Connection<M>): void {
    this.sentAtBeat = 0;
    this.probed = false;
    this.heartbeat?.start(() => conn.stats.bytesIn);
  }

  /** Called once a new connection's first frames are queued: the probe, when it is due. */
  probe(): void {
    this.sendKeepalive();
  }

  /** The connection is gone, or the client closes. */
  stop(): void {
    this.heartbeat?.stop();
  }

  /** The application's heartbeat message, unless what waits offline should go first. */
  private readonly sendHeartbeat = (): void => {
    const conn = this.host.connection();
    const hb = this.options.heartbeat;
    if (conn?.state !== "open" || !hb || this.host.offlineWaiting()) return;
    try {
      this.host.send(this.host.encode(hb.message()));
    } catch (err) {
      this.host.report(
        err instanceof TaurusError
          ? err
          : new TaurusError("HANDLER_FAILED", `heartbeat.message failed: ${String(err)}`, {
              cause: err,
            }),
      );
    }
  };

  /** The default heartbeat: a keepalive ping, when nothing else went out since the last one. */
  private readonly sendKeepalive = (): void => {
    const conn = this.host.connection();
    if (conn?.state !== "open" || this.keepalivePing === undefined) return;
    const session = this.host.session();
    // One probe per connection until the server proves it speaks the control
    // space (a pong, or a granted session): a Go server hands unknown types to
    // its handler. A session client's hello was this connection's probe.
    if (!this.probed) {
      this.probed = true;
      if (session === undefined) {
        try {
          conn.send(this.keepalivePing);
        } catch {
          // A full queue: what waits in it will reach the server.
        }
        this.sentAtBeat = conn.stats.messagesOut + conn.queuedMessages;
        return;
      }
    }
    if (conn.stats.keepalivesIn === 0 && !session?.held) return;
    const sent = conn.stats.messagesOut + conn.queuedMessages;
    if (sent !== this.sentAtBeat) {
      this.sentAtBeat = sent;
      return;
    }
    try {
      conn.send(this.keepalivePing);
      this.sentAtBeat = sent + 1;
    } catch {
      // A full queue: what waits in it will reach the server, which is all a ping is for.
    }
  };

  private readonly onTimeout = (): void => {
    const timeout = this.options.heartbeat?.timeout ?? 0;
    this.host
      .connection()
      ?.destroy(
        new TaurusError("HEARTBEAT_TIMEOUT", `no traffic from the server for ${timeout} ms`),
      );
  };
}
