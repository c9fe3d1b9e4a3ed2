import type { TaurusError } from "@taurus/core-conn";
import type { TaurusClient } from "./client";

/**
 * The application's callbacks; each is optional. They run alongside the
 * client's events. A callback that throws (or returns a rejected promise) is
 * reported to `onError` as `HANDLER_FAILED`; the client carries on.
 *
 * @typeParam M - the message type of the protocol
 */
export interface ClientHandler<M> {
  /**
   * A connection is established (the first one, and each reconnection).
   * Messages sent synchronously from here (a login, a join) are written
   * before the offline queue.
   */
  onConnect?(client: TaurusClient<M>): void | Promise<void>;
  /** A message arrived (replies to requests and heartbeat replies excepted). */
  onMessage?(message: M, client: TaurusClient<M>): void | Promise<void>;
  /** An established connection closed; `error` is why, if anything went wrong. */
  onDisconnect?(error: TaurusError | undefined, client: TaurusClient<M>): void;
  /** A non-fatal error: dropped bytes, a failed handler, a heartbeat that could not be sent. Never throw from here. */
  onError?(error: TaurusError, client: TaurusClient<M>): void;
}
