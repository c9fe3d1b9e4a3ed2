import type { Duplex } from "node:stream";
import type { Connection } from "./connection";
import type { TaurusError } from "./errors";

/** The life of a {@link Connection}: `open`, then `closing` after `close()`, then `closed`. */
export type ConnectionState = "open" | "closing" | "closed";

/** The events of a {@link Connection} and their arguments. */
export interface ConnectionEvents<M> {
  /** The socket is connected (emitted on the next tick when it already was). */
  connect: [];
  /** A message was decoded; `size` is its frame's length in bytes. Messages arrive in order. */
  message: [message: M, size: number];
  /** Inbound bytes were dropped; the error's code tells why. The connection stays open. */
  drop: [error: TaurusError];
  /**
   * The peer has finished sending (it half-closed). When nothing listens to
   * this event the connection calls {@link Connection.close} itself; a listener
   * takes that over, as a server does for its connections (it finishes their
   * handlers first, then closes).
   */
  end: [];
  /** The send queue has emptied after a `send` returned `false`. */
  drain: [];
  /**
   * A fatal error; `close` follows. Emitted only when a listener is attached
   * (an unhandled `error` event would crash the process); `close` carries the
   * error either way.
   */
  error: [error: TaurusError];
  /** The connection is closed: emitted exactly once, with the error that closed it, if any. */
  close: [error: TaurusError | undefined];
}

/**
 * The socket types a {@link Connection} can run over: a `net.Socket`, a
 * `tls.TLSSocket`, or any Duplex (such as the in-memory pair of
 * `@taurus/core-conn/testing`). Address fields are read when present.
 */
export type ConnectionSocket = Duplex & {
  /** The peer's IP address, as `net.Socket` has it. */
  remoteAddress?: string | undefined;
  /** The peer's port. */
  remotePort?: number | undefined;
  /** The local IP address. */
  localAddress?: string | undefined;
  /** The local port. */
  localPort?: number | undefined;
  /** `true` while a TCP connect is in progress; the connection then waits for `connect`. */
  connecting?: boolean;
};
