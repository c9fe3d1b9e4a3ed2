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
   * Optional: whether the session's retransmit buffer cannot hold one more
   * frame of `bytes` bytes. Asked before a data frame is queued on an open
   * connection: `true` makes `send`/`sendEncoded` throw `SEND_QUEUE_FULL`
   * (the message is not accepted, as with a full send queue) instead of the
   * session ending as lost while its peer is there to acknowledge.
   */
  full?(bytes: number): boolean;
  /**
   * Optional: `send(message)` is about to queue `message` as a data frame on
   * an open connection. The session may queue control frames first (such as
   * the `reply` marker of a request's reply). Called only once the send queue
   * has room for the frame (a refused send calls nothing); the frame is then
   * queued after those control frames even when they took its room. It may
   * throw what `send` throws (`SEND_QUEUE_FULL`) to refuse the frame: it
   * must then have queued nothing.
   */
  beforeSend?(message: M): void;
  /**
   * `send` was called once the connection was closed or closing: return
   * `true` when the session took the message (it is replayed on the next
   * connection of the session), `false` to let `send` throw as usual.
   */
  sendAfterClose(message: M): boolean;
  /**
   * Optional: as {@link SessionLink.sendAfterClose}, for `sendEncoded(frame)`
   * (a broadcast reaching a session whose client is away).
   */
  sendEncodedAfterClose?(frame: Uint8Array): boolean;
  /** A control frame other than a ping or a pong arrived. */
  control(frame: ControlFrame): void;
  /**
   * Optional: `send(message)` is about to queue a data message on an open
   * connection. Return `true` when the session takes it instead (a server
   * holds what it sends until it has answered the client's hello, so that the
   * answer is the first frame the client reads, and while it catches a
   * resumed connection up); the session counts it and writes it in order
   * later. It may throw what `send` throws (`SEND_QUEUE_FULL` past its bound).
   */
  take?(message: M): boolean;
  /** Optional: as {@link SessionLink.take}, for `sendEncoded(frame)`. */
  takeEncoded?(frame: Uint8Array): boolean;
  /**
   * Optional: a frame arrived (any frame: data, keepalive or control), before
   * it is handled. A server uses it to learn that a client's first frame was
   * not a hello.
   */
  arrived?(message: M): void;
}
