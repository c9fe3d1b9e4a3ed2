import type { ControlFrame } from "./control";

/**
 * What a session layer attaches to a `Connection` (`Connection.attachSession`)
 * to see its traffic: data messages sent, and control frames received. Used by
 * `@taurus/server` and `@taurus/client`; applications do not implement it.
 *
 * @typeParam M - the message type of the protocol
 */
export interface SessionLink<M> {
  /**
   * A data frame was queued on the connection by `send` or `sendEncoded`
   * (control frames excepted); the session keeps the bytes for replay.
   */
  sent(frame: Uint8Array): void;
  /**
   * `send` was called once the connection was closed or closing: return
   * `true` when the session took the message (it is replayed on the next
   * connection of the session), `false` to let `send` throw as usual.
   */
  sendAfterClose(message: M): boolean;
  /** A control frame other than a ping or a pong arrived. */
  control(frame: ControlFrame): void;
}
