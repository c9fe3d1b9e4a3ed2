import type { Connection } from "@taurus/core-conn";

/**
 * The session of the message a handler is processing: an idempotency key
 * for side effects (`${id}:${index}` is unique per client message, and a
 * message redelivered after a crash has the same one).
 */
export interface MessageSession {
  /** The session id. */
  readonly id: string;
  /** The 1-based index of the message being handled within the session (the client's count). */
  readonly index: number;
}

const SESSIONS = new WeakMap<Connection<unknown>, { id: string; index: number }>();

/**
 * The session of a connection and the index of the message in its handler,
 * for use inside `onMessage`.
 *
 * @param conn - the connection the handler was called for
 * @returns the session and message index, or `undefined` when the connection has no session
 */
export function sessionOf<M>(conn: Connection<M>): MessageSession | undefined {
  const entry = SESSIONS.get(conn as Connection<unknown>);
  return entry === undefined ? undefined : { id: entry.id, index: entry.index };
}

/**
 * @internal The entry {@link sessionOf} reads for `conn`, created (or taken over)
 * for session `id`: the session sets its `index` before each message, with no
 * lookup per message.
 */
export function sessionEntry<M>(conn: Connection<M>, id: string): { id: string; index: number } {
  let entry = SESSIONS.get(conn as Connection<unknown>);
  if (entry === undefined) {
    entry = { id, index: 0 };
    SESSIONS.set(conn as Connection<unknown>, entry);
  } else entry.id = id;
  return entry;
}
