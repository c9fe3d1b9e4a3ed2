import type { EventEmitter } from "node:events";
import net from "node:net";

/** Options of {@link until}. */
export interface UntilOptions {
  /** Milliseconds before giving up. @defaultValue `5000` */
  timeout?: number;
  /** What is awaited, for the error message. @defaultValue `"condition"` */
  what?: string;
  /** Milliseconds between two checks. @defaultValue `5` */
  interval?: number;
}

/**
 * Resolves once `predicate` holds, checking it at once and then every
 * `interval` ms: the way to await a condition in a test instead of sleeping
 * a fixed time. Give a generous timeout: tests run on busy machines.
 *
 * @param predicate - the condition; it may return a promise
 * @param options - `timeout`, `what` and `interval`
 * @returns a promise that resolves once the condition holds
 * @throws `Error` (as a rejection) "timed out after N ms waiting for WHAT"
 *
 * @example
 * ```ts
 * await until(() => server.connectionCount === 1, { what: "the connection" });
 * ```
 */
export async function until(
  predicate: () => boolean | Promise<boolean>,
  options: UntilOptions = {},
): Promise<void> {
  const { timeout = 5000, what = "condition", interval = 5 } = options;
  const started = Date.now();
  while (!(await predicate())) {
    if (Date.now() - started > timeout) {
      throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}

/** Options of {@link nextEvent}. */
export interface NextEventOptions {
  /** Milliseconds before giving up. @defaultValue `5000` */
  timeout?: number;
}

/**
 * The first argument of the next `name` event of `emitter`. Unlike
 * `events.once`, an `error` event does not reject it (so it can await
 * `close` of a connection closed with an error, or `error` itself).
 *
 * @param emitter - any event emitter
 * @param name - the event
 * @param options - `timeout`
 * @returns the event's first argument (`undefined` for an event without one)
 * @throws `Error` (as a rejection) "timed out after N ms waiting for event NAME"
 *
 * @example
 * ```ts
 * const error = await nextEvent<TaurusError | undefined>(conn, "close");
 * ```
 */
export function nextEvent<T = unknown>(
  emitter: Pick<EventEmitter, "once" | "off">,
  name: string,
  options: NextEventOptions = {},
): Promise<T> {
  const { timeout = 5000 } = options;
  return new Promise<T>((resolve, reject) => {
    const listener = (value: T): void => {
      clearTimeout(timer);
      resolve(value);
    };
    const timer = setTimeout(() => {
      emitter.off(name, listener);
      reject(new Error(`timed out after ${timeout} ms waiting for event ${name}`));
    }, timeout);
    emitter.once(name, listener);
  });
}

/** Options of {@link connectFrom}. */
export interface ConnectFromOptions {
  /** The server's host. @defaultValue `"127.0.0.1"` */
  host?: string;
  /** Whether the socket stays writable after the peer ends (Taurus connections want it). @defaultValue `true` */
  allowHalfOpen?: boolean;
}

/**
 * Connects to `port` from the loopback address `localAddress` (127.0.0.2,
 * 127.0.0.3...): the way to test a per-address limit with an attacker and a
 * legitimate user on one machine (Linux routes all of 127.0.0.0/8 to lo).
 *
 * @param localAddress - the local address to connect from
 * @param port - the server's port
 * @param options - `host` and `allowHalfOpen`
 * @returns the connected socket; the caller destroys it
 * @throws `Error` (as a rejection) the socket's error when it cannot connect
 *
 * @example
 * ```ts
 * const attacker = await connectFrom("127.0.0.2", port);
 * const user = await connectFrom("127.0.0.3", port);
 * ```
 */
export function connectFrom(
  localAddress: string,
  port: number,
  options: ConnectFromOptions = {},
): Promise<net.Socket> {
  const { host = "127.0.0.1", allowHalfOpen = true } = options;
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port, localAddress, allowHalfOpen });
    const onError = (error: Error): void => {
      socket.destroy();
      reject(error);
    };
    socket.once("error", onError);
    socket.once("connect", () => {
      socket.off("error", onError);
      resolve(socket);
    });
  });
}
