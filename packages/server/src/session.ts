import { type Connection, TaurusError } from "@taurus/core-conn";
import type { ServerMetrics } from "@taurus/metrics";
import type { TokenBucket } from "@taurus/ratelimit";
import { type AdmissionState, applyAdmission } from "./admission";
import { traceMessage, tracingMessages } from "./diagnostics";
import type { ServerHandler } from "./handler";
import type { RateLimitPolicy } from "./options";

/** One synchronous handler call in this many is timed (a power of two). */
const SAMPLE = 8;

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | undefined)?.then === "function";
}

/**
 * Runs the handler for one connection: in order, one message at a time when
 * the handler is async. Under the "drop" and "close" rate-limit policies it
 * applies the connection's message limit to decoded messages; under "pause"
 * the limit is applied before decoding, by the connection's inbound limiter.
 *
 * @internal
 */
export class Session<M> {
  /** Settles when no handler of this connection is running. */
  private running: Promise<void> | undefined;
  private calls = 0;
  private admission: AdmissionState;
  /** Session hooks (issue 13): around each message's handling. */
  delivery:
    | {
        before(): void;
        after(): void;
        /**
         * Runs the handler of `message` (`run(message)`) in the session's reply
         * scope (item 6). `run` is one function per connection, not one per message.
         */
        around?(message: M, run: (message: M) => boolean): boolean;
      }
    | undefined;
  private admissionTimer: NodeJS.Timeout | undefined;
  /** `run`, bound, for `delivery.around` (created on a session's first message). */
  private runBound: ((message: M) => boolean) | undefined;

  /** `run`, bound once (the session hooks' `around` takes it per message). */
  private bound(): (message: M) => boolean {
    if (this.runBound === undefined) this.runBound = (m: M) => this.run(m);
    return this.runBound;
  }

  constructor(
    readonly conn: Connection<M>,
    private readonly handler: ServerHandler<M>,
    private readonly metrics: ServerMetrics,
    private readonly limiter: TokenBucket | undefined,
    private readonly policy: RateLimitPolicy,
    private readonly report: (error: TaurusError, conn: Connection<M> | undefined) => void,
    private readonly admissionTimeout = 0,
  ) {
    this.admission = handler.admit ? "waiting" : "admitted";
    conn.on("message", this.onMessage);
  }

  /** Runs `onConnect`; messages wait for it. With `admit`, starts the admission deadline. */
  start(): void {
    if (this.admission === "waiting" && this.admissionTimeout > 0) {
      const timeout = this.admissionTimeout;
      this.admissionTimer = setTimeout(() => {
        if (this.admission === "admitted" || this.admission === "refused") return;
        this.admission = "refused";
        this.conn.destroy(
          new TaurusError(
            "HANDSHAKE_TIMEOUT",
            `not admitted within ${timeout} ms (handshakeTimeout)`,
          ),
        );
      }, timeout).unref();
    }
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

  /**
   * A resumed session carries its admission over: this connection is
   * admitted without calling `admit` again (issue 13).
   */
  get isAdmitted(): boolean {
    return this.admission === "admitted";
  }

  /** Admits without calling `admit` (a resumed, already admitted session). */
  admitted(): void {
    if (this.admission !== "waiting") return;
    clearTimeout(this.admissionTimer);
    this.admission = "admitted";
  }

  /** Resolves once the handler in flight, if any, has settled. */
  idle(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  /** The connection is gone. */
  dispose(): void {
    clearTimeout(this.admissionTimer);
  }

  private readonly onMessage = (message: M): void => {
    if (this.limiter && !this.limiter.tryTake()) {
      this.overLimit();
      return;
    }
    if (this.admission !== "admitted") {
      this.admit(message);
      return;
    }
    this.handle(message);
  };

  /** The first message goes to `admit`; until it decides, nothing reaches `onMessage`. */
  private admit(message: M): void {
    if (this.admission !== "waiting") return; // deciding (paused) or refused (closing)
    this.admission = "deciding";
    const decide = (decision: unknown): void => {
      if (this.admission !== "deciding") return; // timed out meanwhile
      clearTimeout(this.admissionTimer);
      if (!applyAdmission(this.conn, decision)) {
        this.admission = "refused";
        return;
      }
      this.admission = "admitted";
      if ((decision as { deliver?: boolean }).deliver === true) this.handle(message);
      else this.consumed(); // a session counts the admission message as processed
    };
    const refuse = (err: unknown): void => {
      this.failed(err);
      decide({ accept: false, reason: "admission failed" });
    };
    let result: unknown;
    try {
      result = this.handler.admit?.call(this.handler, message, this.conn);
    } catch (err) {
      refuse(err);
      return;
    }
    if (!isPromiseLike(result)) {
      decide(result);
      return;
    }
    this.conn.pause();
    this.running = Promise.resolve(result)
      .then(decide, refuse)
      .then(() => {
        this.running = undefined;
        if (this.admission === "admitted") this.conn.resume();
      });
  }

  private overLimit(): void {
    const error = new TaurusError(
      "RATE_LIMITED",
      `connection ${this.conn.id} is over its message rate`,
    );
    if (this.policy === "close") {
      this.conn.destroy(error);
      return;
    }
    this.metrics.error(error.kind, error.code);
    this.report(error, this.conn);
    this.consumed(); // dropped by policy: a session still counts it (at most once, by choice)
  }

  /** A message processed without the handler (admission, a rate-limit drop): counted by a session. */
  private consumed(): void {
    const delivery = this.delivery;
    if (delivery === undefined) return;
    delivery.before();
    delivery.after();
  }

  private handle(message: M): void {
    const delivery = this.delivery;
    if (delivery === undefined) {
      this.run(message);
      return;
    }
    delivery.before();
    const async =
      delivery.around === undefined ? this.run(message) : delivery.around(message, this.bound());
    if (async) return; // async: `settled` calls after()
    delivery.after();
  }

  /** Runs the handler; `true` when it went async. */
  private run(message: M): boolean {
    const onMessage = this.handler.onMessage;
    if (!onMessage) return false;
    // Latency is timed for every async handler and every SAMPLE-th sync one:
    // two clock reads per message would cost more than a small handler.
    const timed = (this.calls++ & (SAMPLE - 1)) === 0;
    const started = timed ? performance.now() : 0;
    let result: unknown;
    try {
      result = tracingMessages()
        ? traceMessage(this.conn, message, () => onMessage.call(this.handler, message, this.conn))
        : onMessage.call(this.handler, message, this.conn);
    } catch (err) {
      this.failed(err);
      if (timed) this.metrics.handlerLatency((performance.now() - started) * 1e6);
      return false;
    }
    if (isPromiseLike(result)) {
      this.wait(result, started || performance.now());
      return true;
    }
    if (timed) this.metrics.handlerLatency((performance.now() - started) * 1e6);
    return false;
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
    if (started > 0) {
      this.metrics.handlerLatency((performance.now() - started) * 1e6);
      this.delivery?.after();
    }
    this.running = undefined;
    this.conn.resume();
  }

  private failed(err: unknown): void {
    const error = new TaurusError("HANDLER_FAILED", `handler failed: ${String(err)}`, {
      cause: err,
    });
    this.metrics.error(error.kind, error.code);
    this.report(error, this.conn);
  }
}
