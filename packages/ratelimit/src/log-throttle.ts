import { checkCount } from "./validate";

/** Default lines per code per interval (5). */
export const DEFAULT_LINES_PER_CODE = 5;
/** Default distinct (code, source) pairs remembered per interval (10,000). */
export const DEFAULT_MAX_LOG_KEYS = 10_000;

/** Options of {@link LogThrottle}. */
export interface LogThrottleOptions {
  /**
   * Lines admitted per code per interval, over all sources; an integer >= 1.
   * @defaultValue {@link DEFAULT_LINES_PER_CODE} (5)
   */
  linesPerCode?: number;
  /**
   * Distinct (code, source) pairs remembered per interval, an integer >= 1:
   * past it, every new pair is suppressed, so memory stays bounded whatever
   * the number of sources.
   * @defaultValue {@link DEFAULT_MAX_LOG_KEYS} (10,000)
   */
  maxKeys?: number;
}

/** What a {@link LogThrottle} held back during one interval. */
export interface LogSummary {
  /** Lines suppressed, by code. */
  suppressed: Record<string, number>;
  /** Distinct sources (connections) whose lines were suppressed, by code. */
  sources: Record<string, number>;
  /** Lines suppressed in all. */
  total: number;
}

interface CodeCount {
  admitted: number;
  suppressed: number;
  /** Sources with at least one line suppressed. */
  sources: Set<string>;
}

/**
 * Keeps logs readable under a flood: within one interval, a code is logged
 * at most once per source (a connection, say) and at most `linesPerCode`
 * times in all; everything else is counted, and {@link LogThrottle.flush},
 * called once per interval by the application, returns the counts for one
 * summary line. It keeps no timer and never logs itself.
 *
 * @example
 * ```ts
 * const throttle = new LogThrottle({ linesPerCode: 5 });
 * server.on("error", (error, conn) => {
 *   if (throttle.admit(error.code, conn?.id)) log.warn(error.message, { code: error.code });
 * });
 * setInterval(() => {
 *   const summary = throttle.flush();
 *   if (summary) log.warn("suppressed repeated lines", summary);
 * }, 10_000).unref();
 * ```
 */
export class LogThrottle {
  /** Lines admitted per code per interval. */
  readonly linesPerCode: number;
  /** Distinct (code, source) pairs remembered per interval. */
  readonly maxKeys: number;
  private keys = new Set<string>();
  private codes = new Map<string, CodeCount>();

  /**
   * @param options - see {@link LogThrottleOptions}; the object is not kept or modified
   * @throws `TaurusError` (`code: "INVALID_OPTION"`) naming the offending option
   */
  constructor(options: LogThrottleOptions = {}) {
    this.linesPerCode = checkCount(
      "linesPerCode",
      options.linesPerCode ?? DEFAULT_LINES_PER_CODE,
      false,
    );
    this.maxKeys = checkCount("maxKeys", options.maxKeys ?? DEFAULT_MAX_LOG_KEYS, false);
  }

  /**
   * Tells whether a line of `code` from `source` may be logged now; if not,
   * it is counted for the summary.
   *
   * @param code - what happened (an error code)
   * @param source - where (a connection id); lines without a source share one
   * @defaultValue `source`: `""`
   * @returns `true` to log the line, `false` when it is suppressed
   */
  admit(code: string, source = ""): boolean {
    let count = this.codes.get(code);
    if (count === undefined) {
      count = { admitted: 0, suppressed: 0, sources: new Set() };
      this.codes.set(code, count);
    }
    const key = `${code}\u0000${source}`;
    if (
      count.admitted < this.linesPerCode &&
      !this.keys.has(key) &&
      this.keys.size < this.maxKeys
    ) {
      this.keys.add(key);
      count.admitted++;
      return true;
    }
    count.suppressed++;
    if (count.sources.size < this.maxKeys) count.sources.add(source);
    return false;
  }

  /**
   * Ends the interval: returns what was suppressed in it, if anything, and
   * starts a new one (every code and source may log again).
   *
   * @returns the counts of the interval, or `undefined` when nothing was suppressed
   */
  flush(): LogSummary | undefined {
    const suppressed: Record<string, number> = {};
    const sources: Record<string, number> = {};
    let total = 0;
    for (const [code, count] of this.codes) {
      if (count.suppressed === 0) continue;
      suppressed[code] = count.suppressed;
      sources[code] = count.sources.size;
      total += count.suppressed;
    }
    this.keys = new Set();
    this.codes = new Map();
    return total > 0 ? { suppressed, sources, total } : undefined;
  }
}
