import { type Clock, DEFAULT_CLOCK } from "./clock";
import { Counter } from "./counter";
import {
  DEFAULT_MAX_ERROR_CODES,
  ErrorCounts,
  type ErrorKind,
  type ErrorsByKind,
} from "./error-counts";
import { invalidOption } from "./errors";

/** Options of {@link ClientMetrics} and {@link ServerMetrics}. */
export interface MetricsOptions {
  /**
   * The clock, in milliseconds, used for `uptime`. Inject a fake one in tests.
   *
   * @defaultValue `() => performance.now()`
   */
  now?: Clock;
  /**
   * Distinct error codes counted separately, an integer >= 0. Further codes
   * are counted under `"other"` ({@link OTHER_ERROR_CODE}).
   *
   * @defaultValue {@link DEFAULT_MAX_ERROR_CODES} (64)
   */
  maxErrorCodes?: number;
}

/** A plain-object view of {@link ClientMetrics}, with the Go original's key names. */
export interface ClientMetricsSnapshot {
  /** Seconds since the metrics were created. */
  uptime: number;
  /** Messages received. */
  messages_received: number;
  /** Messages sent. */
  messages_sent: number;
  /** Bytes received (framed size). */
  bytes_received: number;
  /** Bytes sent (framed size). */
  bytes_sent: number;
  /** Errors of every kind. */
  total_errors: number;
  /** Errors per kind. */
  errors_by_kind: ErrorsByKind;
  /** Errors per code; codes beyond the cap are summed under `"other"`. */
  errors_by_code: Record<string, number>;
}

/**
 * The metrics a Taurus client keeps: messages and bytes in each direction,
 * errors by kind and code, and uptime. Every recording method is O(1) and
 * allocation-free (except the first error of each new code).
 *
 * @example
 * ```ts
 * const metrics = new ClientMetrics();
 * metrics.messageSent(128);
 * metrics.error("connection", "CONNECT_TIMEOUT");
 * metrics.snapshot().messages_sent; // 1
 * ```
 */
export class ClientMetrics {
  /** Messages received. */
  readonly messagesReceived = new Counter();
  /** Messages sent. */
  readonly messagesSent = new Counter();
  /** Bytes received. */
  readonly bytesReceived = new Counter();
  /** Bytes sent. */
  readonly bytesSent = new Counter();
  private readonly errors: ErrorCounts;
  private readonly clock: Clock;
  private readonly start: number;

  /**
   * @param options - see {@link MetricsOptions}; the object is not kept or modified
   * @throws `TaurusError` (`code: "INVALID_OPTION"`) naming the
   *   option when `now` is not a function or `maxErrorCodes` not an integer >= 0
   */
  constructor(options: MetricsOptions = {}) {
    const now = options.now ?? DEFAULT_CLOCK;
    if (typeof now !== "function") throw invalidOption("now", "a function", now);
    this.clock = now;
    this.errors = new ErrorCounts(options.maxErrorCodes ?? DEFAULT_MAX_ERROR_CODES);
    this.start = now();
  }

  /** Seconds since these metrics were created (from the injected clock). */
  get uptime(): number {
    return (this.clock() - this.start) / 1000;
  }

  /** Errors of every kind so far. */
  get totalErrors(): number {
    return this.errors.total;
  }

  /** Errors per kind so far, as a new plain object. */
  errorsByKind(): ErrorsByKind {
    return this.errors.kinds();
  }

  /**
   * Errors per code so far, as a new plain object. At most
   * {@link MetricsOptions.maxErrorCodes} codes, plus `"other"` when codes
   * beyond the cap were seen.
   */
  errorsByCode(): Record<string, number> {
    return this.errors.codes();
  }

  /**
   * Counts one received message of `bytes` bytes. Unchecked (hot path).
   *
   * @param bytes - the message's size on the wire
   */
  messageReceived(bytes: number): void {
    this.messagesReceived.inc();
    this.bytesReceived.inc(bytes);
  }

  /**
   * Counts one sent message of `bytes` bytes. Unchecked (hot path).
   *
   * @param bytes - the message's size on the wire
   */
  messageSent(bytes: number): void {
    this.messagesSent.inc();
    this.bytesSent.inc(bytes);
  }

  /**
   * Counts one error, by kind and by code. The first {@link MetricsOptions.maxErrorCodes}
   * distinct codes are counted separately, later ones under `"other"`.
   *
   * @param kind - the error kind (`TaurusError.kind`)
   * @param code - the error code (`TaurusError.code`)
   */
  error(kind: ErrorKind, code: string): void {
    this.errors.add(kind, code);
  }

  /** A plain object with every value, safe to serialise and to keep. */
  snapshot(): ClientMetricsSnapshot {
    return {
      uptime: this.uptime,
      messages_received: this.messagesReceived.value,
      messages_sent: this.messagesSent.value,
      bytes_received: this.bytesReceived.value,
      bytes_sent: this.bytesSent.value,
      total_errors: this.errors.total,
      errors_by_kind: this.errors.kinds(),
      errors_by_code: this.errors.codes(),
    };
  }
}
