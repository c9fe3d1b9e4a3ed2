import { TaurusError } from "@taurus/core-conn";

/** Options of {@link TaurusServer.listen}. */
export interface ListenOptions {
  /**
   * Closes the server when aborted, as `net.Server.listen` does: before it
   * listens, `listen()` rejects with `ABORTED` (the signal's reason as `cause`)
   * and the server closes; once listening, the server closes gracefully
   * (`close()`).
   * @defaultValue none
   */
  signal?: AbortSignal;
}

/** Options of {@link TaurusServer.close}. */
export interface CloseOptions {
  /**
   * Cuts the graceful shutdown short when aborted: what is still open is reset
   * at once, as when `shutdownTimeout` runs out (and reported as `forced`).
   * @defaultValue none
   */
  signal?: AbortSignal;
}

/** The `ABORTED` error of an aborted `what`, with the signal's reason as `cause`. @internal */
export function abortedError(what: string, signal: AbortSignal): TaurusError {
  return new TaurusError("ABORTED", `${what} was aborted`, { cause: signal.reason });
}

/** Calls `fn` once when `signal` aborts; returns what stops watching. @internal */
export function onAbort(signal: AbortSignal, fn: () => void): () => void {
  signal.addEventListener("abort", fn, { once: true });
  return () => signal.removeEventListener("abort", fn);
}
