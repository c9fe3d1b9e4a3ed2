// The public types of the client: its configuration, its events and what they carry.
import type { Protocol, SessionInfo, SessionLostInfo, TaurusError } from "@taurus/core-conn";
import type { ClientMetrics } from "@taurus/metrics";
import type { ClientHandler } from "./handler";
import type { ClientAddress, ClientOptions } from "./options";
import type { ClientState } from "./stats";

/** Everything {@link createClient} takes: where to connect, the protocol, the handler, and the options. */
export interface ClientConfig<M> extends ClientOptions<M> {
  /** The server's address: `"host:port"` or `{ host, port }`. */
  address: ClientAddress;
  /** The wire protocol spoken with the server. */
  protocol: Protocol<M>;
  /** The application's callbacks. @defaultValue no callbacks */
  handler?: ClientHandler<M>;
  /**
   * Where to count messages, bytes and errors (of every connection of this
   * client); pass one to share it or to bridge it to Prometheus
   * (`registerPrometheus` of `@taurus/metrics`).
   * @defaultValue a new `ClientMetrics`
   */
  metrics?: ClientMetrics;
}

/** What the `reconnecting` event reports. */
export interface ReconnectingInfo {
  /** The retry number, from 1; it starts again at 1 after each successful connection. */
  attempt: number;
  /** Milliseconds until this attempt starts. */
  delay: number;
  /** Why the client is reconnecting: the failed attempt's error or the dropped connection's. */
  error: TaurusError;
}

/** Options of {@link TaurusClient.request}. */
export interface RequestOptions {
  /**
   * Milliseconds to wait for the reply before rejecting with `REQUEST_TIMEOUT`.
   * @defaultValue the client's `requestTimeout` (30 s unless configured)
   */
  timeout?: number;
  /** Rejects the request with `ABORTED` (the signal's reason as `cause`) when aborted. @defaultValue none */
  signal?: AbortSignal;
}

/** The events of a {@link TaurusClient} and their arguments. */
export interface ClientEvents<M> {
  /** A connection is established (the first one or a reconnection). */
  connect: [];
  /** An established connection closed; `error` is why, `undefined` when the peer closed cleanly. */
  disconnect: [error: TaurusError | undefined];
  /** A (re)connection attempt is scheduled. */
  reconnecting: [info: ReconnectingInfo];
  /** The state changed. */
  state: [state: ClientState, previous: ClientState];
  /** A message arrived (replies to requests and heartbeat replies excepted). */
  message: [message: M];
  /**
   * A non-fatal error: bytes dropped, a handler failed, a heartbeat could not
   * be sent... Emitted only when a listener is attached; `handler.onError`
   * gets it either way.
   */
  error: [error: TaurusError];
  /** The client is closed for good: by `close()` (no error) or after giving up reconnecting (the last error). */
  close: [error: TaurusError | undefined];
  /** The server granted a session (new, or resumed with `info.replayed` messages sent again). */
  session: [info: SessionInfo];
  /** The session could not be resumed: what may be lost is counted, never silent. */
  sessionLost: [info: SessionLostInfo];
  /**
   * The client asked for a session and carries on without one: the server
   * refused (`"refused"`, a Taurus server without sessions, or at its limit)
   * or said nothing within `helloTimeout` (`"silent"`, such as a Go server).
   */
  sessionUnavailable: [reason: "refused" | "silent"];
}
