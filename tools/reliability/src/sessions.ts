// The one switch of the session scenarios: `sessions` on createServer and `session` on
// createClient (issue 13). Every scenario runs without sessions (plain TCP delivery,
// measured) and with them (0 lost, 0 duplicated, 0 reordered).
import * as server from "@taurus/server";

/**
 * Names of which one exported by @taurus/server means it has a session layer (the session
 * store interface's in-memory implementation, issue 13 item 5).
 */
const SESSION_EXPORTS = ["MemorySessionStore", "createMemorySessionStore"];

/** `true` when @taurus/server exports its session layer. */
const LAYER_EXISTS = SESSION_EXPORTS.some((name) => name in server);

/**
 * Whether the scenarios also run with sessions: TAURUS_SESSIONS=0 turns them off (to
 * measure plain TCP alone), =1 forces them on; otherwise they run whenever the layer
 * exists, in the default suite (short runs) and in the stress run, and must measure 0 lost,
 * 0 duplicated, 0 reordered.
 */
export const SESSIONS_AVAILABLE: boolean =
  process.env.TAURUS_SESSIONS === "1"
    ? true
    : process.env.TAURUS_SESSIONS === "0"
      ? false
      : LAYER_EXISTS;

/** The server options of the switch. */
export function serverSessionOptions(sessions: boolean): object {
  return sessions
    ? { sessions: { maxBufferedMessages: 65_536, maxBufferedBytes: 64 * 1024 * 1024 } }
    : {};
}

/** The client options of the switch. */
export function clientSessionOptions(sessions: boolean): object {
  return sessions
    ? { session: { maxBufferedMessages: 65_536, maxBufferedBytes: 64 * 1024 * 1024 } }
    : {};
}

/** The switch's values to run: without sessions always, with them once they exist. */
export const SESSION_MODES: readonly boolean[] = SESSIONS_AVAILABLE ? [false, true] : [false];

/** A label for reports. */
export function modeName(sessions: boolean): string {
  return sessions ? "with sessions" : "without sessions";
}
