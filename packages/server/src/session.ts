import { type Connection, TaurusError } from "@taurus/core-conn";
import type { ServerMetrics } from "@taurus/metrics";
import type { TokenBucket } from "@taurus/ratelimit";
import type { ServerHandler } from "./handler";
import type { RateLimitPolicy } from "./options";

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | undefined)?.then === "function";
}

/**
 * Runs the handler for one connection: in order, one message at a time when
 * the handler is async, within the rate limit.
 *
 * @internal
 */
export class Session<M> {
  /** Settles when no handler of this connection is running. */
  private running: Promise<void> | undefined;
  private held: M | undefined;
  private rateTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly conn: Connection<M>,
    private readonly handler: ServerHandler<M>,
    private readonly metrics: ServerMetrics,
    private readonly limiter: TokenBucket | undefined,
    private readonly policy: RateLimitPolicy,
    private readonly report: (error: TaurusError, conn: Connection<M> | undefined) => void,
  ) {
    conn.on("message", this.onMessage);
  }

  /** Runs `onConnect`; messages wait for it. */
  start(): void {
    if (!this.handler.onConnect) return;
    this.invoke(() => this.handler.onConnect?.(this.conn), false);
  }

  /** Resolves once the handler in flight, if any, has settled. */
  idle(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  /** Stops timers; the connection is gone. */
  dispose(): void {
    if (this.rateTimer) clearTimeout(this.rateTimer);
    this.rateTimer = undefined;
    this.held = undefined;
  }

  private readonly onMessage = (message: M): void => {
    const limiter = this.limiter;
    if (limiter && !limiter.tryTake()) {
      this.overLimit(message, limiter);
      return;
    }
    this.handle(message);
  };

  private overLimit(message: M, limiter: TokenBucket): void {
    const error = new TaurusError(
      "RATE_LIMITED",
      `connection ${this.conn.id} is over its message rate`,
    );
    switch (this.policy) {
      case "drop":
        this.metrics.error(error.kind, error.code);
        this.report(error, this.conn);
        return;
      case "close":
        this.conn.close(error);
        return;
      default:
        // Hold the message, stop reading, and handle it when a token is due.
        this.held = message;
        this.conn.pause();
        this.rateTimer = setTimeout(
          this.release,
          Math.max(1, Math.ceil(limiter.delayUntilAvailable())),
        );
    }
  }

  private readonly release = (): void => {
    this.rateTimer = undefined;
    const message = this.held as M;
    this.held = undefined;
    if (this.conn.state === "closed") return;
    if (this.limiter && !this.limiter.tryTake()) {
      this.overLimit(message, this.limiter);
      return;
    }
    this.handle(message);
    if (!this.running && this.held === undefined) this.conn.resume();
  };

  private handle(message: M): void {
    const onMessage = this.handler.onMessage;
    if (!onMessage) return;
    this.invoke(() => onMessage(this.conn, message), true);
  }

  /** Calls a handler; an async one pauses the connection until it settles. */
  private invoke(call: () => void | Promise<void>, timed: boolean): void {
    const started = timed ? performance.now() : 0;
    let result: unknown;
    try {
      result = call();
    } catch (err) {
      this.failed(err);
      if (timed) this.metrics.handlerLatency((performance.now() - started) * 1e6);
      return;
    }
    if (!isPromiseLike(result)) {
      if (timed) this.metrics.handlerLatency((performance.now() - started) * 1e6);
      return;
    }
    const conn = this.conn;
    conn.pause();
    this.running = Promise.resolve(result).then(
      () => this.settled(started, timed),
      (err: unknown) => {
        this.failed(err);
        this.settled(started, timed);
      },
    );
  }

  private settled(started: number, timed: boolean): void {
    if (timed) this.metrics.handlerLatency((performance.now() - started) * 1e6);
    this.running = undefined;
    if (this.held === undefined && this.rateTimer === undefined) this.conn.resume();
  }

  private failed(err: unknown): void {
    const error = new TaurusError("HANDLER_FAILED", `handler failed: ${String(err)}`, {
      cause: err,
    });
    this.metrics.error(error.kind, error.code);
    this.report(error, this.conn);
  }
}
