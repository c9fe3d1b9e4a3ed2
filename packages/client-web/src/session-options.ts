import {
  type ClientSessionSettings,
  type Protocol,
  resolveClientSessionSettings,
} from "@taurus/core-conn/codec";

/** Default milliseconds a session client waits for the server's answer to its hello (2 s). */
export const DEFAULT_SESSION_HELLO_TIMEOUT = 2000;
/** Default bound of the client's retransmit buffer, in messages (1024). */
export const DEFAULT_CLIENT_SESSION_BUFFER_MESSAGES = 1024;
/** Default bound of the client's retransmit buffer, in bytes (1 MiB). */
export const DEFAULT_CLIENT_SESSION_BUFFER_BYTES = 1024 * 1024;
/** Default: acknowledge after this many delivered messages (32)... */
export const DEFAULT_CLIENT_ACK_EVERY = 32;
/** ...or this many milliseconds after one (100 ms), whichever comes first. */
export const DEFAULT_CLIENT_ACK_INTERVAL = 100;

/**
 * The `session` option of {@link createWebClient}, as `@taurus/client`'s
 * (see docs/DELIVERY.md): every message accepted by `send()` in either
 * direction is delivered exactly once and in order across broken WebSockets,
 * as long as the client comes back within the server's resume window.
 */
export interface WebSessionOptions {
  /**
   * Milliseconds to wait for the server's answer (`welcome` or `refuse`) to
   * the hello before carrying on without a session; the first data frame
   * from the server ends the wait sooner. When the hello resumes a session
   * the server granted before, the server is taken to be slow instead: the
   * hello is asked again on a new WebSocket, up to three unanswered hellos in
   * a row, before the session is reported lost and the client carries on
   * without one.
   * An integer from 1 to 2^31 - 1 (the longest timer Node accepts).
   * @defaultValue {@link DEFAULT_SESSION_HELLO_TIMEOUT} (2 s)
   */
  helloTimeout?: number;
  /** Unacknowledged messages kept for replay; past it `send()` throws `SEND_QUEUE_FULL` until acknowledgements free room. @defaultValue {@link DEFAULT_CLIENT_SESSION_BUFFER_MESSAGES} (1024) */
  maxBufferedMessages?: number;
  /** Unacknowledged bytes kept for replay; past it `send()` throws `SEND_QUEUE_FULL`, as past `maxBufferedMessages`. @defaultValue {@link DEFAULT_CLIENT_SESSION_BUFFER_BYTES} (1 MiB) */
  maxBufferedBytes?: number;
  /** Acknowledge after this many delivered messages. @defaultValue {@link DEFAULT_CLIENT_ACK_EVERY} (32) */
  ackEvery?: number;
  /** Acknowledge at most this many ms after a delivered message (1 to 2^31 - 1). @defaultValue {@link DEFAULT_CLIENT_ACK_INTERVAL} (100 ms) */
  ackInterval?: number;
}

/** @internal */
export type ResolvedWebSessionOptions = ClientSessionSettings;

/**
 * Resolves the `session` option.
 *
 * @throws `TaurusError` `INVALID_OPTION` (option `session`) when the protocol
 *   has no control frames, or a field is invalid
 * @internal
 */
export function resolveWebSessionOptions<M>(
  option: boolean | WebSessionOptions | undefined,
  protocol: Protocol<M>,
): ResolvedWebSessionOptions | undefined {
  return resolveClientSessionSettings(option, protocol, {
    helloTimeout: DEFAULT_SESSION_HELLO_TIMEOUT,
    maxBufferedMessages: DEFAULT_CLIENT_SESSION_BUFFER_MESSAGES,
    maxBufferedBytes: DEFAULT_CLIENT_SESSION_BUFFER_BYTES,
    ackEvery: DEFAULT_CLIENT_ACK_EVERY,
    ackInterval: DEFAULT_CLIENT_ACK_INTERVAL,
  });
}
