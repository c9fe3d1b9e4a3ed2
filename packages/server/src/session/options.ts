import { TaurusError } from "@taurus/core-conn";
import { integerOption } from "@taurus/core-conn/internal";
import { MemorySessionStore, type SessionStore } from "./store";

/** Default resume window: 2 minutes. */
export const DEFAULT_RESUME_WINDOW = 120_000;
/** Default bound of a session's retransmit buffer, in messages. */
export const DEFAULT_SESSION_BUFFER_MESSAGES = 1024;
/** Default bound of a session's retransmit buffer, in bytes (1 MiB). */
export const DEFAULT_SESSION_BUFFER_BYTES = 1024 * 1024;
/** Default bound on the sessions a server holds. */
export const DEFAULT_MAX_SESSIONS = 10_000;
/** Default bound on the sessions started from one address and held at once. */
export const DEFAULT_MAX_SESSIONS_PER_ADDRESS = 64;
/** Default: acknowledge after this many data frames... */
export const DEFAULT_ACK_EVERY = 32;
/** ...or after this many milliseconds, whichever comes first. */
export const DEFAULT_ACK_INTERVAL = 100;

/** Default: what the server sends waits at most this many ms for the client's first frame. */
export const DEFAULT_HELLO_WAIT = 1000;

/** The `sessions` option of `createServer`: see docs/DELIVERY.md. */
export interface ServerSessionOptions {
  /** Where sessions live. @defaultValue a new {@link MemorySessionStore} */
  store?: SessionStore;
  /** Milliseconds a session waits for its client to come back. @defaultValue {@link DEFAULT_RESUME_WINDOW} (2 min) */
  resumeWindow?: number;
  /** Unacknowledged server messages kept per session. Past it, while the client is connected, `send()` throws `SEND_QUEUE_FULL` (as a full send queue does) until acknowledgements free room; a broadcast it refuses, or any send while the client is away, ends the session as lost (`"overflow"`, the client is told). @defaultValue {@link DEFAULT_SESSION_BUFFER_MESSAGES} (1024) */
  maxBufferedMessages?: number;
  /** Unacknowledged bytes kept per session, with the same effect as `maxBufferedMessages` past it. Counted in the server's `memoryBudget`: past the budget, its largest holder (a connection or a session) is ended, a session as lost (`"overflow"`). @defaultValue {@link DEFAULT_SESSION_BUFFER_BYTES} (1 MiB) */
  maxBufferedBytes?: number;
  /** Sessions held at once; a hello past it is refused (`refuse`, reason `"limit"`). @defaultValue {@link DEFAULT_MAX_SESSIONS} (10,000) */
  maxSessions?: number;
  /** Sessions held at once per client address. @defaultValue {@link DEFAULT_MAX_SESSIONS_PER_ADDRESS} (64) */
  maxSessionsPerAddress?: number;
  /** Acknowledge after this many processed messages. @defaultValue {@link DEFAULT_ACK_EVERY} (32) */
  ackEvery?: number;
  /** Acknowledge at most this many ms after a processed message. @defaultValue {@link DEFAULT_ACK_INTERVAL} (100 ms) */
  ackInterval?: number;
  /**
   * Milliseconds what the server sends on a new connection (from `onConnect`,
   * a broadcast) waits for the client's first frame. A session client sends
   * its hello first, and the server's answer must be the first frame it reads;
   * a client whose first frame is not a hello releases the wait at once. Only
   * a client that sends nothing until the server speaks waits this long.
   * @defaultValue {@link DEFAULT_HELLO_WAIT} (1 s)
   */
  helloWait?: number;
}

/** @internal */
export interface ResolvedSessionOptions {
  store: SessionStore;
  resumeWindow: number;
  maxBufferedMessages: number;
  maxBufferedBytes: number;
  maxSessions: number;
  maxSessionsPerAddress: number;
  ackEvery: number;
  ackInterval: number;
  helloWait: number;
}

/**
 * Resolves the `sessions` option.
 *
 * @throws {@link TaurusError} `INVALID_OPTION` naming the bad field
 * @internal
 */
export function resolveSessionOptions(
  option: boolean | ServerSessionOptions | undefined,
): ResolvedSessionOptions | undefined {
  if (option === undefined || option === false) return undefined;
  if (option !== true && (typeof option !== "object" || option === null)) {
    throw new TaurusError("INVALID_OPTION", "sessions must be a boolean or an object", {
      option: "sessions",
    });
  }
  const o: ServerSessionOptions = option === true ? {} : option;
  const resolved: ResolvedSessionOptions = {
    store: o.store ?? new MemorySessionStore(),
    resumeWindow: integerOption("sessions.resumeWindow", o.resumeWindow, DEFAULT_RESUME_WINDOW, 1),
    maxBufferedMessages: integerOption(
      "sessions.maxBufferedMessages",
      o.maxBufferedMessages,
      DEFAULT_SESSION_BUFFER_MESSAGES,
      1,
    ),
    maxBufferedBytes: integerOption(
      "sessions.maxBufferedBytes",
      o.maxBufferedBytes,
      DEFAULT_SESSION_BUFFER_BYTES,
      1,
    ),
    maxSessions: integerOption("sessions.maxSessions", o.maxSessions, DEFAULT_MAX_SESSIONS, 1),
    maxSessionsPerAddress: integerOption(
      "sessions.maxSessionsPerAddress",
      o.maxSessionsPerAddress,
      DEFAULT_MAX_SESSIONS_PER_ADDRESS,
      1,
    ),
    ackEvery: integerOption("sessions.ackEvery", o.ackEvery, DEFAULT_ACK_EVERY, 1),
    ackInterval: integerOption("sessions.ackInterval", o.ackInterval, DEFAULT_ACK_INTERVAL, 1),
    helloWait: integerOption("sessions.helloWait", o.helloWait, DEFAULT_HELLO_WAIT, 0),
  };
  const store = resolved.store;
  for (const [bound, mine, field] of [
    ["maxBufferedMessages", resolved.maxBufferedMessages, store.maxMessages],
    ["maxBufferedBytes", resolved.maxBufferedBytes, store.maxBytes],
  ] as const) {
    if (field !== undefined && mine > field) {
      throw new TaurusError(
        "INVALID_OPTION",
        `sessions.${bound} (${mine}) is larger than the session store holds per session (${field}): lower it or raise the store's bound`,
        { option: `sessions.${bound}` },
      );
    }
  }
  return resolved;
}
