import { TaurusError } from "./errors";

/** The longest delay a Node.js timer accepts, in milliseconds (about 24.8 days). */
export const MAX_TIMER = 2 ** 31 - 1;

/**
 * The options of the per-connection machinery that a bare `Connection`,
 * `@taurus/server` and `@taurus/client` all take, under the same names and
 * with the same checks: `ConnectionOptions`, `ServerOptions` and
 * `ClientOptions` extend this one type. Defaults differ by side; each field
 * says which. A bad value is a `TaurusError` `INVALID_OPTION` whose `option`
 * is the field's name.
 */
export interface SharedConnectionOptions {
  /**
   * Largest frame accepted or sent, in bytes: an integer from 1 to the
   * protocol's own `maxMessageSize`.
   * @defaultValue a `Connection`: the protocol's limit; a server: 64 KiB; a
   *   client: 1 MiB (each at most the protocol's limit)
   */
  maxMessageSize?: number;
  /**
   * Most messages waiting in a connection's send queue (an integer >= 1); a
   * `send` past it throws `SEND_QUEUE_FULL`. A client's offline queue has the
   * same bound.
   * @defaultValue `DEFAULT_SEND_QUEUE_SIZE` (1024) on every side
   */
  sendQueueSize?: number;
  /**
   * Most bytes waiting in a connection's send queue (an integer >= 1); a
   * `send` past it throws `SEND_QUEUE_FULL`. A client's offline queue has the
   * same bound.
   * @defaultValue a `Connection` and a client: `DEFAULT_SEND_QUEUE_BYTES`
   *   (16 MiB); a server: 64 KiB
   */
  sendQueueBytes?: number;
  /**
   * Milliseconds without a whole message received after which the connection
   * is closed with `IDLE_TIMEOUT` (a client then reconnects). Only inbound
   * whole messages (keepalive pings and pongs included) count: bytes that do
   * not complete a frame, garbage, and what this side sends do not keep a peer
   * alive. Time spent held by an inbound limiter (whole frames wait
   * undecoded) does not count as idle; time paused by `pause()` does. An
   * integer from 0 to 2^31 - 1 (`MAX_TIMER`); `0` disables it.
   * @defaultValue `DEFAULT_IDLE_TIMEOUT` (30 minutes) on every side
   */
  idleTimeout?: number;
  /**
   * Milliseconds a connection's opening may take: on a `Connection` and a
   * server, until the peer's first byte (with TLS, the handshake and then the
   * first byte), past which the connection is closed with
   * `HANDSHAKE_TIMEOUT`; on a client, one connection attempt (TCP and TLS),
   * past which it fails with `CONNECT_TIMEOUT`. An integer up to
   * 2^31 - 1 (`MAX_TIMER`): from 0 (`0` disables it) on a `Connection` and a
   * server, from 1 on a client.
   * @defaultValue a `Connection`: `0` (disabled); a server: 10 s; a client: 5 s
   */
  handshakeTimeout?: number;
}

/** One side's defaults for {@link SharedConnectionOptions}. @internal */
export type SharedOptionDefaults = Required<SharedConnectionOptions>;

/**
 * Checks that `value`, if given, is an integer in `[min, max]`.
 *
 * @param name - the option's name, used in the error
 * @param value - the option's value
 * @param fallback - returned when `value` is `undefined`
 * @param min - smallest accepted value
 * @param max - largest accepted value (default: `Number.MAX_SAFE_INTEGER`)
 * @returns `value`, or `fallback` when `value` is `undefined`
 * @throws `TaurusError` `INVALID_OPTION` naming the option
 */
export function integerOption(
  name: string,
  value: number | undefined,
  fallback: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new TaurusError(
      "INVALID_OPTION",
      `option ${name} must be an integer from ${min} to ${max}, got ${String(value)}`,
      { option: name },
    );
  }
  return value;
}

/**
 * The one check of {@link SharedConnectionOptions}, for every side: applies
 * the side's `defaults` and validates each value given.
 *
 * @param options - what the user wrote (other fields are ignored)
 * @param defaults - the side's defaults (`maxMessageSize` already at most `protocolMax`)
 * @param protocolMax - the protocol's own `maxMessageSize`
 * @param minHandshakeTimeout - the smallest `handshakeTimeout` (0 where 0 disables it, 1 on a client)
 * @returns every shared option, resolved
 * @throws {@link TaurusError} `INVALID_OPTION` naming the first option out of its bounds
 * @internal
 */
export function resolveSharedOptions(
  options: SharedConnectionOptions,
  defaults: SharedOptionDefaults,
  protocolMax: number,
  minHandshakeTimeout = 0,
): SharedOptionDefaults {
  return {
    maxMessageSize: integerOption(
      "maxMessageSize",
      options.maxMessageSize,
      defaults.maxMessageSize,
      1,
      protocolMax,
    ),
    sendQueueSize: integerOption(
      "sendQueueSize",
      options.sendQueueSize,
      defaults.sendQueueSize,
      1,
      Number.MAX_SAFE_INTEGER,
    ),
    sendQueueBytes: integerOption(
      "sendQueueBytes",
      options.sendQueueBytes,
      defaults.sendQueueBytes,
      1,
      Number.MAX_SAFE_INTEGER,
    ),
    idleTimeout: integerOption(
      "idleTimeout",
      options.idleTimeout,
      defaults.idleTimeout,
      0,
      MAX_TIMER,
    ),
    handshakeTimeout: integerOption(
      "handshakeTimeout",
      options.handshakeTimeout,
      defaults.handshakeTimeout,
      minHandshakeTimeout,
      MAX_TIMER,
    ),
  };
}
