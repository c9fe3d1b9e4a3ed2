// The client's error plumbing: counting errors, reporting the non-fatal ones to the
// handler and the `error` event, and running the application's callbacks so that what
// they throw (or reject with) is reported as HANDLER_FAILED instead of escaping.
import type { EventEmitter } from "node:events";
import { TaurusError } from "@taurus/core-conn";
import type { ClientMetrics } from "@taurus/metrics";
import type { ClientEvents } from "./client-types";
import type { StatsAccumulator } from "./stats";

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | undefined)?.then === "function";
}

/** Where a client's errors go. @internal */
export class ClientErrors<M> {
  constructor(
    private readonly client: EventEmitter<ClientEvents<M>>,
    private readonly onError: (error: TaurusError) => void,
    private readonly counters: StatsAccumulator,
    private readonly metrics: ClientMetrics,
  ) {}

  /** Counts `error` in the client's stats and metrics. */
  count(error: TaurusError): void {
    this.counters.error(error.kind, error.code);
    this.metrics.error(error.kind, error.code);
  }

  /** Reports a non-fatal error to `handler.onError` and the `error` event (when listened to). */
  report(error: TaurusError): void {
    try {
      this.onError(error);
    } catch {
      // onError must not throw; there is nowhere left to report it.
    }
    if (this.client.listenerCount("error") > 0) {
      try {
        this.client.emit("error", error);
      } catch {
        // same as above
      }
    }
  }

  /** A callback of the application threw or rejected: counted and reported as `HANDLER_FAILED`. */
  handlerFailed(err: unknown): void {
    const error = new TaurusError("HANDLER_FAILED", `handler failed: ${String(err)}`, {
      cause: err,
    });
    this.count(error);
    this.report(error);
  }

  /** Runs a callback of the application; what it throws or rejects with is reported. */
  call(callback: () => unknown): void {
    try {
      const result = callback();
      if (isPromiseLike(result)) result.then(undefined, (err: unknown) => this.handlerFailed(err));
    } catch (err) {
      this.handlerFailed(err);
    }
  }

  /** Emits an event; a listener that throws is reported as `HANDLER_FAILED`. */
  emit<K extends Exclude<keyof ClientEvents<M>, "error">>(
    event: K,
    ...args: ClientEvents<M>[K]
  ): void {
    try {
      (this.client.emit as (event: K, ...args: ClientEvents<M>[K]) => boolean)(event, ...args);
    } catch (err) {
      this.handlerFailed(err);
    }
  }
}
