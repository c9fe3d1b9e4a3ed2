import { EventEmitter } from "node:events";
import net, { type AddressInfo } from "node:net";
import tls from "node:tls";
import {
  type Connection,
  type ConnectionMetricsSink,
  type ConnectionSocket,
  closeWithFarewell,
  type FarewellHook,
  type MemoryBudget,
  type Protocol,
  TaurusError,
} from "@taurus/core-conn";
import { connectionSerial, serialOfConnectionId } from "@taurus/core-conn/internal";
import { ServerMetrics } from "@taurus/metrics";
import { abortedError, type CloseOptions, type ListenOptions, onAbort } from "./abort";
import { AcceptQueue } from "./accept-queue";
import {
  type BackplaneMembership,
  type BackplaneOptions,
  DEFAULT_BACKPLANE_CHANNEL,
} from "./adapter";
import { AddressGuard, type AddressPass } from "./address-guard";
import { drained, MAX_BACKPLANE_PACE } from "./backplane-pace";
import { checkedProtocol } from "./checked-protocol";
import { ConnectionTable } from "./connection-table";
import { publishListening, publishRefused, publishServerClose } from "./diagnostics";
import { FdWatch } from "./fd-watch";
import type { ServerHandler } from "./handler";
import { type ResolvedServerOptions, resolveServerOptions, type ServerOptions } from "./options";
import { resetSocket } from "./reset-socket";
import { Rooms } from "./rooms";
import { type ServerStats, serverStats } from "./server-stats";
import type {
  BroadcastOptions,
  BroadcastResult,
  DiscardedAtShutdown,
  ServerConfig,
  ServerEvents,
  ShutdownReport,
} from "./server-types";
import { SessionManager } from "./session/manager";
import { type ResolvedSessionOptions, resolveSessionOptions } from "./session/options";
import { TlsHandshakes } from "./tls-handshakes";

type ServerState = "idle" | "listening" | "closing" | "closed";

/**
 * A Taurus TCP (or TLS) server. Create it with {@link createServer}.
 *
 * @typeParam M - the message type of the protocol
 */
export class TaurusServer<M> extends EventEmitter<ServerEvents<M>> {
  /** The server's counters; `metrics.snapshot()` reads them all. */
  readonly metrics: ServerMetrics;
  /** The protocol every connection speaks. */
  readonly protocol: Protocol<M>;
  /** The resolved `sessions` option; `undefined` when sessions are off. */
  private readonly sessionOptions: ResolvedSessionOptions | undefined;
  /** The live sessions, with the `sessions` option. */
  private readonly sessionManager: SessionManager<M> | undefined;
  /**
   * Closed connections whose session waits for its client: broadcasts still
   * reach them (kept in the session), and they keep their rooms.
   */
  private readonly away = new Map<string, Connection<M>>();
  /**
   * Named groups of this server's connections: `server.rooms.join(conn, "lobby")`,
   * `server.rooms.broadcast("lobby", message)`. With a `backplane`, rooms of the same
   * name on every server sharing it are one room. See {@link Rooms}.
   */
  readonly rooms: Rooms<M>;

  private readonly options: ResolvedServerOptions;
  private readonly handler: ServerHandler<M>;
  /** Every live connection, with what each holds (see connection-table.ts). */
  private readonly table: ConnectionTable<M>;
  private readonly guard: AddressGuard | undefined;
  private readonly accepts: AcceptQueue<AddressPass | undefined>;
  private readonly sink: ConnectionMetricsSink;
  private readonly farewellHook: FarewellHook | undefined;
  private readonly fds = new FdWatch(
    (error) => {
      this.report(error, undefined);
      this.emit("acceptPaused", error);
    },
    () => this.emit("acceptResumed"),
    () => this.metrics.error("system", "FD_EXHAUSTED"),
  );
  /** TCP sockets still in their TLS handshake. */
  private readonly handshakes: TlsHandshakes;
  private readonly listener: net.Server;
  private state: ServerState = "idle";
  private closing: Promise<ShutdownReport> | undefined;
  private readonly backplane: BackplaneOptions<M> | undefined;
  private readonly membership: BackplaneMembership | undefined;
  /** Settles once the connections a backplane delivery congested have drained. */
  private pace: Promise<void> | undefined;
  /** Ends the shutdown's wait at once (a `close` signal aborted); set while it waits. */
  private cutShort: (() => void) | undefined;
  /** Stops watching the `listen` signal. */
  private unwatchListen: (() => void) | undefined;

  /** @internal use {@link createServer} */
  constructor(config: ServerConfig<M>) {
    super();
    this.protocol = config.protocol;
    this.options = resolveServerOptions(config, checkedProtocol(config.protocol).maxMessageSize);
    this.sessionOptions = resolveSessionOptions(config.sessions);
    this.sessionManager =
      this.sessionOptions === undefined
        ? undefined
        : new SessionManager<M>(
            this.sessionOptions,
            {
              started: (info, conn) => this.safeEmitSession("sessionStarted", info, conn),
              resumed: (info, conn, previous) =>
                this.safeEmitSession("sessionResumed", info, conn, previous),
              lost: (info) => this.safeEmitSession("sessionLost", info),
              moved: (previous, conn) => {
                this.away.delete(previous.id);
                this.rooms.transfer(previous, conn);
              },
              released: (conn) => {
                this.away.delete(conn.id);
                this.rooms.forget(conn);
              },
            },
            this.options.memoryBudget,
          );
    this.handler = config.handler ?? {};
    this.metrics = config.metrics ?? new ServerMetrics();
    this.sink = metricsSink(this.metrics);
    const limits = this.options.perAddress;
    if (limits) this.guard = new AddressGuard(limits);
    this.accepts = new AcceptQueue(this.setUp);
    if (this.handler.farewell) {
      this.farewellHook = (error, conn) => this.farewellFrame(error, conn as Connection<M>);
    }
    this.table = new ConnectionTable<M>({
      protocol: this.protocol,
      options: this.options,
      handler: this.handler,
      metrics: this.metrics,
      sink: this.sink,
      farewell: this.farewellHook,
      sessionManager: this.sessionManager,
      report: this.report,
      opened: (conn) => this.emit("connection", conn),
      released: (conn) => {
        // A session whose client is away keeps the connection's rooms (see `away`).
        if (this.sessionManager?.awaiting(conn) === undefined) this.rooms.forget(conn);
        else this.away.set(conn.id, conn);
      },
    });
    this.handshakes = new TlsHandshakes(this.options.handshakeTimeout, (error) =>
      this.report(error, undefined),
    );
    this.listener = this.options.tls
      ? tls.createServer(
          {
            ...this.options.tls,
            // Not half-open: a TLS socket whose peer leaves mid-handshake
            // would otherwise never close (nor let close() resolve).
            allowHalfOpen: false,
            // Writes are already coalesced (once per read, or per tick): Nagle would only add latency.
            noDelay: true,
          },
          this.onSocket,
        )
      : net.createServer({ allowHalfOpen: true, noDelay: true }, this.onSocket);
    this.listener.on("error", this.onListenerError);
    if (this.options.tls) {
      this.listener.on("connection", this.handshakes.started);
      this.listener.on("tlsClientError", (err: Error, socket: tls.TLSSocket) => {
        socket.destroy();
        this.report(
          new TaurusError("SOCKET", `TLS handshake failed: ${err.message}`, { cause: err }),
          undefined,
        );
      });
    }
    this.backplane = config.backplane;
    this.membership = this.backplane?.adapter.join(
      this.backplane.channel ?? DEFAULT_BACKPLANE_CHANNEL,
      this.onBackplane,
    );
    const backplane = this.backplane;
    this.rooms = new Rooms<M>(
      {
        encode: (message) => this.encodeFrame(message),
        toNeutral: (message) => this.toNeutral(message),
        fromNeutral: (payload) => this.fromNeutral(payload),
        report: (error, conn) => this.report(error, conn),
        isAway: (conn) => this.away.has(conn.id),
        fanOutRefused: (conn, error) => this.sessionManager?.fanOutRefused(conn, error),
        backplane: backplane && {
          adapter: backplane.adapter,
          channel: backplane.channel ?? DEFAULT_BACKPLANE_CHANNEL,
        },
      },
      config.rooms,
    );
  }

  /**
   * Starts listening.
   *
   * @param port - the TCP port; `0` picks a free one (read it from {@link TaurusServer.address})
   * @param host - the address to bind; when omitted, every interface (as `net.Server.listen`)
   * @param options - `signal`, which closes the server when aborted (see {@link ListenOptions})
   * @returns the bound address
   * @throws `TaurusError` `SOCKET` when the port cannot be bound; `CONNECTION_CLOSED` once closed;
   *   `ABORTED` when the signal aborts before the server listens
   */
  listen(port: number, host?: string, options: ListenOptions = {}): Promise<AddressInfo> {
    if (this.state !== "idle") {
      return Promise.reject(new TaurusError("CONNECTION_CLOSED", `server is ${this.state}`));
    }
    const signal = options.signal;
    if (signal?.aborted) {
      void this.close();
      return Promise.reject(abortedError("listen()", signal));
    }
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void =>
        reject(new TaurusError("SOCKET", err.message, { cause: err }));
      this.listener.once("error", onError);
      if (signal) {
        this.unwatchListen = onAbort(signal, () => {
          if (this.state === "idle") reject(abortedError("listen()", signal));
          void this.close();
        });
      }
      this.listener.listen(port, host, () => {
        // Closed (aborted) before the port was bound: let it go again.
        if (this.state !== "idle") return void this.listener.close();
        this.listener.off("error", onError);
        this.state = "listening";
        this.fds.start();
        this.listener.once("close", () => this.fds.stop());
        publishListening(this as TaurusServer<unknown>, this.listener.address() as AddressInfo);
        resolve(this.listener.address() as AddressInfo);
      });
    });
  }

  /** The bound address, once listening. */
  address(): AddressInfo | undefined {
    const address = this.listener.address();
    return address && typeof address === "object" ? address : undefined;
  }

  /**
   * With sessions: the id of the session `conn` served, when `conn` has closed
   * and that session waits for its client to come back (within the resume
   * window). Call it from `onClose` to tell a client that is away from one
   * that left: the session either resumes (`sessionResumed`, with `conn` as
   * `previous`) or is lost (`sessionLost`, with this id). While it waits, the
   * connection keeps its rooms, and what is sent or broadcast to it is kept
   * in the session.
   *
   * @returns the session id, or `undefined` (no sessions, no session on
   *   `conn`, `conn` still open, or its session resumed elsewhere or ended)
   */
  awaitingResume(conn: Connection<M>): string | undefined {
    if (conn.state !== "closed") return undefined;
    return this.sessionManager?.awaiting(conn);
  }

  /**
   * With a shared session store (such as Redis): resolves once every message
   * sent so far to the session of `conn` is in the store. From then on those
   * messages survive a crash of this process: the client gets each exactly
   * once from whichever server resumes the session. A message sent and not
   * yet stored when the process dies may be lost (it is at most once until
   * then); `send()` cannot wait for the store, this can. Messages sent while
   * the client's hello is answered are counted once it is. One store round
   * trip; call it per batch rather than per message.
   *
   * @returns `true` once stored; `false` when it never will be: no sessions,
   *   the in-memory store (sessions die with the process), no session on
   *   `conn`, the session ended, or a store write failed (the session is then
   *   reported lost should a resume need the missing frames)
   */
  sessionStored(conn: Connection<M>): Promise<boolean> {
    return this.sessionManager?.stored(conn) ?? Promise.resolve(false);
  }

  /** Number of live connections. */
  get connectionCount(): number {
    return this.table.size;
  }

  /** The largest frame, header included, a connection of this server accepts (the resolved `maxMessageSize`). */
  get maxMessageSize(): number {
    return this.options.maxMessageSize;
  }

  /** The server's counters in the shared stats vocabulary (see {@link ServerStats}). */
  get stats(): ServerStats {
    return serverStats(this.metrics.snapshot());
  }

  /** The budget of bytes held for peers (shared with other servers when one was given). */
  get memoryBudget(): MemoryBudget {
    return this.options.memoryBudget;
  }

  /**
   * The live connection with this id.
   *
   * @returns the connection, or `undefined` when there is none
   */
  connection(id: string): Connection<M> | undefined {
    return this.table.get(id)?.conn;
  }

  /** Iterates over the live connections. */
  *connections(): IterableIterator<Connection<M>> {
    for (const session of this.table.values()) yield session.conn;
  }

  /**
   * Sends one message to every connection: it is encoded once and the same
   * bytes are queued on each connection, so a slow connection never stalls
   * the others. A full queue is handled by the slow-consumer policy and
   * reported to `onError`. With a `backplane`, the message is also encoded
   * once as neutral bytes and published to every other member of the
   * channel (unless `local`); `except` applies to this server only.
   *
   * @returns how many of this server's connections got it, and how many did not
   * @throws `TaurusError` `INVALID_MESSAGE` or `MESSAGE_TOO_LARGE` from the encoder
   *   (or `INVALID_MESSAGE` from the backplane codec), before any send
   */
  broadcast(message: M, options: BroadcastOptions<M> = {}): BroadcastResult {
    const frame = this.encodeFrame(message);
    const neutral = this.membership && !options.local ? this.toNeutral(message) : undefined;
    const result = this.broadcastEncoded(frame, options);
    if (neutral) this.membership?.publish(neutral);
    return result;
  }

  private encodeFrame(message: M): Uint8Array {
    const frame = this.protocol.encode(message);
    if (frame.length > this.options.maxMessageSize) {
      throw new TaurusError(
        "MESSAGE_TOO_LARGE",
        `frame of ${frame.length} bytes exceeds maxMessageSize ${this.options.maxMessageSize}`,
      );
    }
    return frame;
  }

  private toNeutral(message: M): Uint8Array {
    try {
      return (this.backplane as BackplaneOptions<M>).codec.encode(message);
    } catch (err) {
      throw new TaurusError("INVALID_MESSAGE", `backplane codec failed: ${String(err)}`, {
        cause: err,
      });
    }
  }

  /**
   * A message another member published: decoded, re-encoded for this protocol, sent here.
   * While some connections are over half their send queue, returns one promise that settles
   * once they drained (at most the write timeout): a durable backplane reads on after it.
   */
  private readonly onBackplane = (payload: Uint8Array): undefined | Promise<void> => {
    if (this.state === "closing" || this.state === "closed") return undefined;
    const frame = this.fromNeutral(payload);
    if (frame === undefined) return undefined;
    if (this.pace) {
      this.fanOut(frame, undefined, undefined);
      return this.pace;
    }
    const congested: Connection<M>[] = [];
    this.fanOut(frame, undefined, congested);
    if (congested.length === 0) return undefined;
    const limit = this.options.writeTimeout > 0 ? this.options.writeTimeout : MAX_BACKPLANE_PACE;
    const pace = drained(congested, limit).then(() => {
      this.pace = undefined;
    });
    this.pace = pace;
    return pace;
  };

  /** Neutral backplane bytes as a frame of this protocol; `undefined` (reported) when they do not decode. */
  private fromNeutral(payload: Uint8Array): Uint8Array | undefined {
    try {
      return this.encodeFrame((this.backplane as BackplaneOptions<M>).codec.decode(payload));
    } catch (err) {
      this.report(
        err instanceof TaurusError
          ? err
          : new TaurusError("MALFORMED_BODY", `backplane message: ${String(err)}`, {
              cause: err,
            }),
        undefined,
      );
      return undefined;
    }
  }

  /**
   * Sends already encoded frame bytes of this server's protocol to every
   * connection, as {@link TaurusServer.broadcast} does after encoding. Never
   * published on the backplane (the frame is not neutral).
   *
   * @returns how many connections got it, and how many did not
   */
  broadcastEncoded(frame: Uint8Array, options: BroadcastOptions<M> = {}): BroadcastResult {
    const except = typeof options.except === "string" ? options.except : options.except?.id;
    return this.fanOut(frame, except, undefined);
  }

  /** Queues `frame` on every open connection but `except`; those now over half full go to `congested`. */
  private fanOut(
    frame: Uint8Array,
    except: string | undefined,
    congested: Connection<M>[] | undefined,
  ): BroadcastResult {
    const result: BroadcastResult = { sent: 0, failed: 0 };
    // Compared by the id's counter: reading every receiver's `id` would make its string.
    const skip = except === undefined ? undefined : (serialOfConnectionId(except) ?? -1);
    for (const { conn } of this.table.values()) {
      if ((skip !== undefined && connectionSerial(conn) === skip) || conn.state !== "open")
        continue;
      try {
        if (!conn.sendEncoded(frame)) congested?.push(conn);
        result.sent++;
      } catch (err) {
        result.failed++;
        this.sessionManager?.fanOutRefused(conn, err as TaurusError);
        this.report(err as TaurusError, conn);
      }
    }
    // Sessions whose client is away keep what is broadcast, for their resume.
    for (const conn of this.away.values()) {
      if (skip !== undefined && connectionSerial(conn) === skip) continue;
      try {
        conn.sendEncoded(frame);
        result.sent++;
      } catch (err) {
        result.failed++;
        this.report(err as TaurusError, conn);
      }
    }
    return result;
  }

  /**
   * Graceful shutdown: stops accepting, lets handlers in flight finish,
   * flushes every send queue, closes every connection, and resolves. Past
   * `shutdownTimeout`, what is left is reset (the peer sees a connection
   * reset rather than a clean end) and counted as `forced`, and what each
   * still held is listed in `discarded`.
   * Connections keep reading while they close, so what a peer sent before
   * it saw the close is still handled. Calling it again returns the same promise.
   *
   * @param options - `signal`, which cuts the shutdown short when aborted (see {@link CloseOptions})
   * @returns how many connections closed cleanly, how many were forced, and what the forced ones lost
   */
  close(options: CloseOptions = {}): Promise<ShutdownReport> {
    if (!this.closing) this.closing = this.shutdown();
    const signal = options.signal;
    if (signal?.aborted) this.cutShort?.();
    else if (signal) {
      const unwatch = onAbort(signal, () => this.cutShort?.());
      void this.closing.finally(unwatch);
    }
    return this.closing;
  }

  /**
   * Immediate shutdown, as `Connection.destroy()` is to `close()`: stops accepting and
   * resets every connection at once, without waiting for handlers in flight or
   * flushing send queues (each open connection is counted as `forced`, what it held
   * listed in `discarded`). The same as `close()` with an aborted signal; after a
   * `close()`, it cuts that shutdown short and returns the same promise.
   *
   * @returns as {@link TaurusServer.close}
   */
  destroy(): Promise<ShutdownReport> {
    const closing = this.close();
    this.cutShort?.();
    return closing;
  }

  /** For `await using`: the graceful {@link TaurusServer.close}. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** Emits a session event; a throwing listener is reported, never thrown into the session layer. */
  private safeEmitSession<E extends "sessionStarted" | "sessionResumed" | "sessionLost">(
    event: E,
    ...args: ServerEvents<M>[E]
  ): void {
    try {
      (this.emit as (e: string, ...a: unknown[]) => boolean)(event, ...args);
    } catch (err) {
      this.report(
        new TaurusError("HANDLER_FAILED", `${event} listener failed: ${String(err)}`, {
          cause: err,
        }),
        undefined,
      );
    }
  }

  private async shutdown(): Promise<ShutdownReport> {
    this.state = "closing";
    this.unwatchListen?.();
    this.membership?.leave();
    this.rooms.close();
    const stopped = new Promise<void>((resolve) => this.listener.close(() => resolve()));
    const sessions = [...this.table.values()];
    this.sessionManager?.goodbye();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), this.options.shutdownTimeout);
      this.cutShort = () => resolve("timeout");
    });
    const finished = Promise.all(sessions.map((s) => s.idle().then(() => s.conn.close())));
    const outcome = await Promise.race([finished, deadline]);
    this.cutShort = undefined;
    clearTimeout(timer);
    let forced = 0;
    const discarded: DiscardedAtShutdown[] = [];
    if (outcome === "timeout") {
      for (const { conn } of sessions) {
        if (conn.state === "closed") continue;
        forced++;
        discarded.push({
          id: conn.id,
          remoteAddress: conn.remoteAddress,
          remotePort: conn.remotePort,
          messages: conn.queuedMessages,
          bytes: conn.bufferedAmount,
        });
        resetSocket(conn.socket);
        conn.destroy(new TaurusError("CONNECTION_CLOSED", "server shutdown deadline passed"));
      }
    }
    // Whatever is left is a socket that never finished its TLS handshake.
    this.handshakes.destroyAll();
    await stopped;
    this.state = "closed";
    const report = { closed: sessions.length - forced, forced, discarded };
    publishServerClose(this as TaurusServer<unknown>, report);
    this.sessionManager?.dispose();
    this.away.clear();
    this.emit("close", report);
    return report;
  }

  /**
   * Running out of file descriptors on accept: the listener keeps its port
   * (libuv drops what it cannot accept), reported once until an accept succeeds.
   */
  private readonly onListenerError = (err: NodeJS.ErrnoException): void => {
    // Out of descriptors: the listener keeps its port; reported once per episode.
    if (this.fds.acceptFailed(err)) return;
    this.report(new TaurusError("SOCKET", err.message, { cause: err }), undefined);
  };

  /**
   * Serves a connection that arrived some other way than this server's own
   * listener (a WebSocket, see `@taurus/transport-ws`; any Duplex): the same
   * protocol, handler, rooms, metrics and limits apply as to a TCP socket:
   * `maxConnections`, the per-address limits (by `remoteAddress`), rate
   * limits, timeouts and the memory budget. A refused one is counted,
   * reported, told why (with a farewell) and closed, as a TCP socket is.
   * Works whether or not {@link TaurusServer.listen} was called; a server
   * that is closing or closed destroys the stream at once.
   *
   * @param socket - a connected Duplex; its `remoteAddress`/`remotePort` are used when present
   * @param peer - the peer's address and port, when `socket` does not carry them
   *   (set on the socket); the per-address limits key on `remoteAddress`
   * @defaultValue `peer`: the socket's own fields
   * @returns `true` when the connection was let in (set up now or later this turn), `false` when refused
   */
  accept(
    socket: ConnectionSocket,
    peer: { remoteAddress?: string; remotePort?: number } = {},
  ): boolean {
    if (peer.remoteAddress !== undefined) {
      Object.defineProperty(socket, "remoteAddress", { value: peer.remoteAddress });
    }
    if (peer.remotePort !== undefined) {
      Object.defineProperty(socket, "remotePort", { value: peer.remotePort });
    }
    if (this.state === "closing" || this.state === "closed") {
      socket.destroy();
      return false;
    }
    return this.admit(socket);
  }

  /** Cheap checks at once (refusals close fast); the set-up of what is let in, a bounded batch per tick. */
  private readonly onSocket = (socket: net.Socket): void => {
    if (this.options.tls) this.handshakes.finished(socket.remoteAddress, socket.remotePort);
    if (this.state !== "listening") {
      socket.destroy();
      return;
    }
    this.fds.accepted();
    this.admit(socket);
  };

  /** The connection and per-address limits; what passes waits in the accept queue. */
  private admit(socket: ConnectionSocket): boolean {
    if (this.table.size + this.accepts.length >= this.options.maxConnections) {
      this.refuse(socket, `max connections (${this.options.maxConnections}) reached`);
      return false;
    }
    let pass: AddressPass | undefined;
    if (this.guard) {
      const verdict = this.guard.admit(socket.remoteAddress);
      if (!verdict.ok) {
        this.refuse(
          socket,
          `per-address limit (${verdict.reason}) reached for ${socket.remoteAddress}`,
        );
        return false;
      }
      pass = verdict;
    }
    this.accepts.push(socket, pass);
    return true;
  }

  private readonly setUp = (socket: ConnectionSocket, pass: AddressPass | undefined): void => {
    if (this.state === "closing" || this.state === "closed" || socket.destroyed) {
      socket.destroy();
      pass?.release();
      return;
    }
    this.table.open(socket, pass);
  };

  /** Refuses a socket: counted, reported, told why (when the handler has a farewell), closed at once. */
  private refuse(socket: ConnectionSocket, why: string): void {
    this.metrics.connectionRefused();
    this.metrics.error("connection", "CONNECTION_LIMIT");
    const error = new TaurusError("CONNECTION_LIMIT", why);
    publishRefused(this as TaurusServer<unknown>, socket, error);
    this.report(error, undefined);
    closeWithFarewell(
      socket,
      this.handler.farewell ? this.farewellFrame(error, undefined) : undefined,
    );
  }

  /** The handler's farewell for `error`, encoded; `undefined` when it has none or it fails. */
  private farewellFrame(
    error: TaurusError,
    conn: Connection<M> | undefined,
  ): Uint8Array | undefined {
    try {
      const message = this.handler.farewell?.(error, conn);
      return message === undefined ? undefined : this.encodeFrame(message);
    } catch (err) {
      const failed = new TaurusError("HANDLER_FAILED", `farewell failed: ${String(err)}`, {
        cause: err,
      });
      this.metrics.error(failed.kind, failed.code);
      this.report(failed, conn);
      return undefined;
    }
  }

  /** Reports a non-fatal error to `handler.onError` and the `error` event (when listened to). */
  private readonly report = (error: TaurusError, conn: Connection<M> | undefined): void => {
    const onError = this.handler.onError;
    if (onError) {
      try {
        onError(error, conn);
      } catch {
        // onError must not throw; there is nowhere left to report it.
      }
    }
    if (this.listenerCount("error") > 0) {
      try {
        this.emit("error", error, conn);
      } catch {
        // same as above
      }
    }
  };
}

/** Feeds every connection's counts into the server's metrics. */
function metricsSink(metrics: ServerMetrics): ConnectionMetricsSink {
  return {
    messageReceived: (bytes) => metrics.messageReceived(bytes),
    messagesSent: (messages, bytes) => {
      metrics.messagesSent.inc(messages);
      metrics.bytesSent.inc(bytes);
      metrics.sendQueueDepth.dec(messages);
    },
    queueDepthChanged: (count) => metrics.sendQueueDepth.inc(count),
    error: (kind, code) => metrics.error(kind, code),
  };
}

/**
 * Creates a Taurus server.
 *
 * @param config - the protocol, the handler and the options (see {@link ServerOptions} for defaults)
 * @returns a server, not yet listening: call {@link TaurusServer.listen}
 * @throws `TaurusError` `INVALID_OPTION` for an option out of range;
 *   `CONNECTION_CLOSED` when the `backplane` adapter is already closed
 *
 * @example
 * ```ts
 * const server = createServer({
 *   protocol: createBinaryProtocol(),
 *   handler: { onMessage: (msg, conn) => conn.send(msg) },
 *   rateLimit: 1000,
 * });
 * const { port } = await server.listen(0, "127.0.0.1");
 * ```
 */
export function createServer<M>(config: ServerConfig<M>): TaurusServer<M> {
  return new TaurusServer(config);
}
