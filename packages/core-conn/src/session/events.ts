/**
 * Why a session could not be resumed (see {@link SessionLostInfo}):
 *
 * - `"expired"`: the peer did not come back within the resume window;
 * - `"overflow"`: the retransmit buffer hit its bound (messages or bytes);
 * - `"unknown"`: the server does not know the session (restarted with the
 *   in-memory store, or another instance without a shared store);
 * - `"limit"`: the server holds too many sessions;
 * - `"closed"`: the session was ended on purpose (`close()`).
 */
export type SessionLostReason = "expired" | "overflow" | "unknown" | "limit" | "closed";

/** What the `sessionLost` events of server and client report: never silence. */
export interface SessionLostInfo {
  /** The session that ended. */
  readonly id: string;
  /** Why it could not be resumed. */
  readonly reason: SessionLostReason;
  /**
   * This side's data messages that the peer never acknowledged: they may
   * or may not have been processed, and are not sent again.
   */
  readonly unacknowledged: number;
  /** This side's data messages processed from the peer, the last count known. */
  readonly received: number;
}

/** What the session events (`sessionStarted`, `sessionResumed`) report. */
export interface SessionInfo {
  /** The session id. */
  readonly id: string;
  /** `true` when an existing session was resumed, `false` for a new one. */
  readonly resumed: boolean;
  /** How many of this side's messages were sent again on this connection. */
  readonly replayed: number;
}
