import { type Protocol, TaurusError } from "@taurus/core-conn";
import { integerOption } from "@taurus/core-conn/internal";

/** Default milliseconds a session client waits for the server's answer to its hello (2 s). */
export const DEFAULT_SESSION_HELLO_TIMEOUT = 2000;
/** Default bound of the client's retransmit buffer, in messages. */
export const DEFAULT_CLIENT_SESSION_BUFFER_MESSAGES = 1024;
/** Default bound of the client's retransmit buffer, in bytes (1 MiB). */
export const DEFAULT_CLIENT_SESSION_BUFFER_BYTES = 1024 * 1024;
/** Default: acknowledge after this many delivered messages... */
export const DEFAULT_CLIENT_ACK_EVERY = 32;
/** ...or this many milliseconds after one, whichever comes first. */
export const DEFAULT_CLIENT_ACK_INTERVAL = 100;

/** The `session` option of `createClient`: see docs/DELIVERY.md. */
export interface ClientSessionOptions {
  /**
   * Milliseconds to wait for the server's answer (`welcome` or `refuse`) to
   * the hello before carrying on without a session (a Go server answers
   * nothing); the first data frame from the server ends the wait sooner.
   * When the server granted the session held, it is taken to be slow instead
   * (a restart under load): the hello is asked again on a new connection, up
   * to three unanswered hellos in a row, before the session is reported lost
   * and the client carries on without one.
   * @defaultValue {@link DEFAULT_SESSION_HELLO_TIMEOUT} (2 s)
   */
  helloTimeout?: number;
  /** Unacknowledged messages kept for replay; past it `send()` throws `SEND_QUEUE_FULL` until acknowledgements free room. @defaultValue {@link DEFAULT_CLIENT_SESSION_BUFFER_MESSAGES} (1024) */
  maxBufferedMessages?: number;
  /** Unacknowledged bytes kept for replay; past it `send()` throws `SEND_QUEUE_FULL`, as past `maxBufferedMessages`. @defaultValue {@link DEFAULT_CLIENT_SESSION_BUFFER_BYTES} (1 MiB) */
  maxBufferedBytes?: number;
  /** Acknowledge after this many delivered messages. @defaultValue {@link DEFAULT_CLIENT_ACK_EVERY} (32) */
  ackEvery?: number;
  /** Acknowledge at most this many ms after a delivered message. @defaultValue {@link DEFAULT_CLIENT_ACK_INTERVAL} (100 ms) */
  ackInterval?: number;
}

/** @internal */
export interface ResolvedClientSessionOptions {
  helloTimeout: number;
  maxBufferedMessages: number;
  maxBufferedBytes: number;
  ackEvery: number;
  ackInterval: number;
}

/**
 * Resolves the `session` option.
 *
 * @throws {@link TaurusError} `INVALID_OPTION` (option `session`) when the
 *   protocol has no control facet, or a field is invalid
 * @internal
 */
export function resolveClientSessionOptions<M>(
  option: boolean | ClientSessionOptions | undefined,
  protocol: Protocol<M>,
): ResolvedClientSessionOptions | undefined {
  if (option === undefined || option === false) return undefined;
  if (option !== true && (typeof option !== "object" || option === null)) {
    throw new TaurusError("INVALID_OPTION", "session must be a boolean or an object", {
      option: "session",
    });
  }
  if (protocol.control === undefined) {
    throw new TaurusError(
      "INVALID_OPTION",
      `session: protocol "${protocol.name}" has no control frames (Protocol.control), so it cannot carry sessions`,
      { option: "session" },
    );
  }
  const o: ClientSessionOptions = option === true ? {} : option;
  return {
    helloTimeout: integerOption(
      "session.helloTimeout",
      o.helloTimeout,
      DEFAULT_SESSION_HELLO_TIMEOUT,
      1,
    ),
    maxBufferedMessages: integerOption(
      "session.maxBufferedMessages",
      o.maxBufferedMessages,
      DEFAULT_CLIENT_SESSION_BUFFER_MESSAGES,
      1,
    ),
    maxBufferedBytes: integerOption(
      "session.maxBufferedBytes",
      o.maxBufferedBytes,
      DEFAULT_CLIENT_SESSION_BUFFER_BYTES,
      1,
    ),
    ackEvery: integerOption("session.ackEvery", o.ackEvery, DEFAULT_CLIENT_ACK_EVERY, 1),
    ackInterval: integerOption(
      "session.ackInterval",
      o.ackInterval,
      DEFAULT_CLIENT_ACK_INTERVAL,
      1,
    ),
  };
}
