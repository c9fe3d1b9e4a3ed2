import { type Connection, TaurusError } from "@taurus/core-conn";
import type { ServerMetrics } from "@taurus/metrics";
import type { TokenBucket } from "@taurus/ratelimit";
import type { ServerHandler } from "./handler";
import type { RateLimitPolicy } from "./options";

/** One synchronous handler call in this many is timed (a power of two). */
const SAMPLE = 8;

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
  private calls = 0;
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
    const onConnect = this.handler.onConnect;
    if (!onConnect) return;
    let result: unknown;
    try {
      result = onConnect.call(this.handler, this.conn);
    } catch (err) {
      this.failed(err);
      return;
    }
    if (isPromiseLike(result)) this.wait(result, 0);
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
          Session.release,
          Math.max(1, Math.ceil(limiter.delayUntilAvailable())),
          this,
        );
    }
  }

  /** The rate-limit timer's callback: handles the held message now that a token is due. */
  private static release<T>(session: Session<T>): void {
    session.rateTimer = undefined;
    const message = session.held as T;
    session.held = undefined;
    if (session.conn.state === "closed") return;
    if (session.limiter && !session.limiter.tryTake()) {
      session.overLimit(message, session.limiter);
      return;
    }
    session.handle(message);
    if (!session.running && session.held === undefined) session.conn.resume();
  }

  private handle(message: M): void {
    const onMessage = this.handler.onMessage;
    if (!onMessage) return;
    // Latency is timed for every async handler and every SAMPLE-th sync one:
    // two clock reads per message would cost more than a small handler.
    const timed = (this.calls++ & (SAMPLE - 1)) === 0;
    const started = timed ? performance.now() : 0;
    let result: unknown;
    try {
      result = onMessage.call(this.handler, this.conn, message);
    } catch (err) {
      this.failed(err);
      if (timed) this.metrics.handlerLatency((performance.now() - started) * 1e6);
      return;
    }
    if (isPromiseLike(result)) {
      this.wait(result, started || performance.now());
      return;
    }
    if (timed) this.metrics.handlerLatency((performance.now() - started) * 1e6);
  }

  /** An async handler is running: stop reading until it settles. */
  private wait(result: PromiseLike<unknown>, started: number): void {
    this.conn.pause();
    this.running = Promise.resolve(result).then(
      () => this.settled(started),
      (err: unknown) => {
        this.failed(err);
        this.settled(started);
      },
    );
  }

  /** `started` is 0 for `onConnect`, which is not timed. */
  private settled(started: number): void {
    if (started > 0) this.metrics.handlerLatency((performance.now() - started) * 1e6);
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
