import { TaurusError } from "@taurus/core-conn";

/** Options of {@link TaurusClient.connect}. */
export interface ConnectOptions {
  /**
   * Gives up connecting when aborted: `connect()` rejects with `ABORTED` (the
   * signal's reason as `cause`) and the client is closed, as by `close()`.
   * Once connected, the signal is no longer watched.
   * @defaultValue none
   */
  signal?: AbortSignal;
}

/** Options of {@link TaurusClient.close}. */
export interface ClientCloseOptions {
  /**
   * Cuts the graceful close short when aborted: the connection is closed at
   * once, as when `closeTimeout` runs out.
   * @defaultValue none
   */
  signal?: AbortSignal;
}

/**
 * What {@link TaurusClient.close} gave up on, so that nothing accepted by
 * `send()` is dropped without the caller knowing.
 */
export interface ClientCloseReport {
  /**
   * Messages accepted by `send()` (or `request()`) that never reached the
   * socket: still in the offline queue when the client closed without a
   * connection, or left in the send queue when `closeTimeout` (or an aborted
   * `signal`) cut the connection. Also added to `stats.discarded`.
   */
  discarded: number;
  /** Requests still waiting for a reply, rejected with `CONNECTION_CLOSED`. */
  rejectedRequests: number;
}

/** The `ABORTED` error of an aborted `what`, with the signal's reason as `cause`. @internal */
export function abortedError(what: string, signal: AbortSignal): TaurusError {
  return new TaurusError("ABORTED", `${what} was aborted`, { cause: signal.reason });
}

/**
 * `promise`, or its rejection with `ABORTED` as soon as `signal` aborts (then
 * `onAborted` runs).
 *
 * @internal
 */
export function abortable<T>(
  promise: Promise<T>,
  signal: AbortSignal | undefined,
  what: string,
  onAborted: () => void,
): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) {
    promise.catch(() => {}); // settled by onAborted; the caller gets ABORTED instead
    onAborted();
    return Promise.reject(abortedError(what, signal));
  }
  return new Promise<T>((resolve, reject) => {
    const abort = (): void => {
      reject(abortedError(what, signal));
      onAborted();
    };
    signal.addEventListener("abort", abort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", abort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", abort);
        reject(error);
      },
    );
  });
}
