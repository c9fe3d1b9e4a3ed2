import type { Connection, TaurusError } from "@taurus/core-conn";
import type { Admission } from "./admission";

/**
 * The application's callbacks. Each is optional. Arguments come in one order, as on the
 * client: what happened first (the message, the error), where it happened last (the
 * connection), so a callback that does not need the connection can leave it off.
 * Callbacks of one connection
 * run in order: `onMessage` is not called again for a connection until the
 * promise it returned has settled (the connection stops reading meanwhile),
 * while other connections go on. A callback that throws or rejects is
 * reported to `onError` as `HANDLER_FAILED` and the server keeps serving.
 *
 * @typeParam M - the message type of the protocol
 */
export interface ServerHandler<M> {
  /** A connection was accepted. Messages wait until a returned promise settles. */
  onConnect?(conn: Connection<M>): void | Promise<void>;
  /**
   * Admission: gets each connection's first message (with `conn.remoteAddress`, and over
   * TLS `conn.socket`'s peer certificate) and decides: `{ accept: true, identity? }`
   * (read it later with `identityOf(conn)`; `deliver: true` also hands the first message
   * to `onMessage`), or `{ accept: false, reason }`: the connection is closed with
   * `ADMISSION_REFUSED`, its reason given to `farewell` and `onError`. Until it decides,
   * nothing reaches `onMessage` and the connection reads no further; a connection not
   * admitted within `handshakeTimeout` is closed with `HANDSHAKE_TIMEOUT`. A throw or
   * rejection refuses the connection (and is reported as `HANDLER_FAILED`).
   * @defaultValue none: every connection is admitted
   */
  admit?(first: M, conn: Connection<M>): Admission | Promise<Admission>;
  /** `message` arrived on `conn`. */
  onMessage?(message: M, conn: Connection<M>): void | Promise<void>;
  /** `conn` closed; `error` is what closed it, `undefined` when nothing did (a clean close). */
  onClose?(error: TaurusError | undefined, conn: Connection<M>): void;
  /**
   * The message a connection is told before it is refused (`conn` is then
   * `undefined`) or closed by the server with `error` (a timeout, a limit,
   * `SLOW_CONSUMER`, `MEMORY_BUDGET`...): it is encoded and written before
   * the end, so the peer learns why. Return `undefined` to close without a word.
   * Never throw from here (a throw is reported as `HANDLER_FAILED` and the
   * connection closes without a word).
   */
  farewell?(error: TaurusError, conn: Connection<M> | undefined): M | undefined;
  /**
   * Something went wrong: a handler failed, bytes were dropped, a connection
   * was refused, a send queue was full... `conn` is the connection concerned,
   * when there is one. The server's `error` event gets the same errors (when
   * listened to), as the client's handler and event do. Never throw from here.
   */
  onError?(error: TaurusError, conn: Connection<M> | undefined): void;
}
