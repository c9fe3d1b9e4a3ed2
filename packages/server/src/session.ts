import { type Connection, TaurusError } from "@taurus/core-conn";
import type { ConnectionOwner } from "@taurus/core-conn/internal";
import type { ServerMetrics } from "@taurus/metrics";
import type { TokenBucket } from "@taurus/ratelimit";
import type { AddressPass } from "./address-guard";
import { type AdmissionState, applyAdmission } from "./admission";
import { traceMessage, tracingMessages } from "./diagnostics";
import type { ServerHandler } from "./handler";
import type { RateLimitPolicy } from "./options";

/** One synchronous handler call in this many is timed (a power of two). */
const SAMPLE = 8;
/** Handler calls of every connection, for the sampling: one counter, not one per connection. */
let calls = 0;

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | undefined)?.then === "function";
}

/**
 * What every runner of a server shares: one object per server, not fields per
 * connection.
 *
 * @internal
 */
export interface RunnerHost<M> {
  readonly handler: ServerHandler<M>;
  readonly metrics: ServerMetrics;
  readonly policy: RateLimitPolicy;
  /** Reports a non-fatal error to the handler's `onError`. */
  readonly report: (error: TaurusError, conn: Connection<M> | undefined) => void;
  /** Milliseconds `admit` has to decide (`handshakeTimeout`); 0: none. */
  readonly admissionTimeout: number;
  /** A connection closed: the server forgets it and tells the handler. */
  readonly closed: (conn: Connection<M>, error: TaurusError | undefined) => void;
}

/** Session hooks (issue 13): around each message's handling. @internal */
export interface Delivery<M> {
  before(): void;
  after(): void;
  /**
   * Runs the handler of `message` ({@link Session.run}) in the session's reply
   * scope (item 6).
   */
  around?(message: M): boolean;
}

/**
 * What few runners need, made on first use and let go once unset again: an idle
 * runner holds six fields, not eight.
 */
interface RunnerExtras<M> {
  running?: Promise<void> | undefined;
  delivery?: Delivery<M> | undefined;
  admissionTimer?: NodeJS.Timeout | undefined;
}

/**
 * Runs the handler for one connection: in order, one message at a time when
 * the handler is async. Under the "drop" and "close" rate-limit policies it
 * applies the connection's message limit to decoded messages; under "pause"
 * the limit is applied before decoding, by the connection's inbound limiter.
 *
 * @internal
 */
export class Session<M> implements ConnectionOwner<M> {
  private admission: AdmissionState;
  private extras: RunnerExtras<M> | undefined;
  /** The connection's per-address pass (per-address limits), released when it closes. */
  pass: AddressPass | undefined;

  /**
   * The runner is its connection's owner (`conn[OWNER]`): the connection calls
   * {@link Session.message}, `drop`, `end` and `close`, so no listener is
   * created per connection.
   */
  constructor(
    readonly conn: Connection<M>,
    private readonly host: RunnerHost<M>,
    private readonly limiter: TokenBucket | undefined,
  ) {
    this.admission = host.handler.admit ? "waiting" : "admitted";
  }

  /** Settles when no handler of this connection is running. */
  private get running(): Promise<void> | undefined {
    return this.extras?.running;
  }

  private set running(value: Promise<void> | undefined) {
    this.setExtra("running", value);
  }

  /** Session hooks (issue 13): around each message's handling. */
  get delivery(): Delivery<M> | undefined {
    return this.extras?.delivery;
  }

  set delivery(value: Delivery<M> | undefined) {
    this.setExtra("delivery", value);
  }

  private get admissionTimer(): NodeJS.Timeout | undefined {
    return this.extras?.admissionTimer;
  }

  private set admissionTimer(value: NodeJS.Timeout | undefined) {
    this.setExtra("admissionTimer", value);
  }

  /** Sets one of the rare fields; the object goes once all are unset (an async handler settled). */
  private setExtra<K extends keyof RunnerExtras<M>>(key: K, value: RunnerExtras<M>[K]): void {
    let extras = this.extras;
    if (value === undefined) {
      if (extras === undefined) return;
      extras[key] = value;
      if (
        extras.running === undefined &&
        extras.delivery === undefined &&
        extras.admissionTimer === undefined
      )
        this.extras = undefined;
      return;
    }
    if (extras === undefined) {
      extras = {};
      this.extras = extras;
    }
    extras[key] = value;
  }

  /** Runs `onConnect`; messages wait for it. With `admit`, starts the admission deadline. */
  start(): void {
    if (this.admission === "waiting" && this.host.admissionTimeout > 0) {
      const timeout = this.host.admissionTimeout;
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
    const handler = this.host.handler;
    const onConnect = handler.onConnect;
    if (!onConnect) return;
    let result: unknown;
    try {
      result = onConnect.call(handler, this.conn);
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

  /** The connection dropped inbound bytes: reported to `onError`. */
  drop(error: TaurusError): void {
    this.host.report(error, this.conn);
  }

  /** The peer ended: the handlers in flight finish, then the connection ends. */
  end(): void {
    void this.idle().then(() => this.conn.close());
  }

  /** The connection closed. */
  close(error: TaurusError | undefined): void {
    this.host.closed(this.conn, error);
  }

  /** A message of the connection arrived. */
  message(message: M): void {
    if (this.limiter && !this.limiter.tryTake()) {
      this.overLimit();
      return;
    }
    if (this.admission !== "admitted") {
      this.admit(message);
      return;
    }
    this.handle(message);
  }

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
      const handler = this.host.handler;
      result = handler.admit?.call(handler, message, this.conn);
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
    if (this.host.policy === "close") {
      this.conn.destroy(error);
      return;
    }
    this.host.metrics.error(error.kind, error.code);
    this.host.report(error, this.conn);
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
    const async = delivery.around === undefined ? this.run(message) : delivery.around(message);
    if (async) return; // async: `settled` calls after()
    delivery.after();
  }

  /** Runs the handler; `true` when it went async. */
  run(message: M): boolean {
    const { handler, metrics } = this.host;
    const onMessage = handler.onMessage;
    if (!onMessage) return false;
    // Latency is timed for every async handler and every SAMPLE-th sync one:
    // two clock reads per message would cost more than a small handler.
    calls = (calls + 1) & (SAMPLE - 1);
    const timed = calls === 0;
    const started = timed ? performance.now() : 0;
    let result: unknown;
    try {
      result = tracingMessages()
        ? traceMessage(this.conn, message, () => onMessage.call(handler, message, this.conn))
        : onMessage.call(handler, message, this.conn);
    } catch (err) {
      this.failed(err);
      if (timed) metrics.handlerLatency((performance.now() - started) * 1e6);
      return false;
    }
    if (isPromiseLike(result)) {
      this.wait(result, started || performance.now());
      return true;
    }
    if (timed) metrics.handlerLatency((performance.now() - started) * 1e6);
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
      this.host.metrics.handlerLatency((performance.now() - started) * 1e6);
      this.delivery?.after();
    }
    this.running = undefined;
    this.conn.resume();
  }

  private failed(err: unknown): void {
    const error = new TaurusError("HANDLER_FAILED", `handler failed: ${String(err)}`, {
      cause: err,
    });
    this.host.metrics.error(error.kind, error.code);
    this.host.report(error, this.conn);
  }
}
