import { type Clock, DEFAULT_CLOCK } from "./clock";
import { TOKEN_EPSILON } from "./tolerance";
import { burstForRate, checkClock, checkCount, checkRate } from "./validate";

/**
 * Default new connections per second per address: `Infinity` (no rate limit).
 */
export const DEFAULT_PER_IP_RATE = Number.POSITIVE_INFINITY;

/**
 * Default concurrent connections per address: `Infinity` (no limit).
 */
export const DEFAULT_MAX_PER_IP = Number.POSITIVE_INFINITY;

/**
 * Default number of addresses tracked before idle ones are evicted.
 */
export const DEFAULT_MAX_TRACKED_IPS = 10_000;

/** Options of {@link ConnectionLimiter}. With none set, everything is allowed. */
export interface ConnectionLimiterOptions {
  /**
   * New connections per second per address, a number > 0; `Infinity`
   * disables the rate limit.
   *
   * @defaultValue {@link DEFAULT_PER_IP_RATE} (`Infinity`)
   */
  perIpRate?: number;
  /**
   * Burst of new connections per address, an integer >= 1. Ignored when
   * `perIpRate` is `Infinity`.
   *
   * @defaultValue `perIpRate` rounded up (at least 1)
   */
  perIpBurst?: number;
  /**
   * Concurrent (acquired, not yet released) connections per address, an
   * integer >= 1 or `Infinity`.
   *
   * @defaultValue {@link DEFAULT_MAX_PER_IP} (`Infinity`)
   */
  maxPerIp?: number;
  /**
   * Soft cap on tracked addresses, an integer >= 1. When a new address
   * arrives at the cap, the least recently used address without open
   * connections is forgotten. Addresses with open connections are never
   * evicted, so the map can exceed the cap by at most the number of open
   * connections.
   *
   * @defaultValue {@link DEFAULT_MAX_TRACKED_IPS} (10 000)
   */
  maxTrackedIps?: number;
  /**
   * The clock, in milliseconds. Inject a fake one in tests.
   *
   * @defaultValue `() => performance.now()`
   */
  now?: Clock;
}

/** A granted connection slot. */
export interface ConnectionPermit {
  /** The connection was allowed. */
  readonly ok: true;
  /** Frees the slot when the connection closes. Idempotent. */
  release(): void;
}

/** A refused connection. */
export interface ConnectionRefusal {
  /** The connection was refused. */
  readonly ok: false;
  /**
   * Why: `"rate"` when the address opened connections too fast,
   * `"concurrent"` when it already holds `maxPerIp` connections.
   */
  readonly reason: "rate" | "concurrent";
}

/** The result of {@link ConnectionLimiter.tryAcquire}. */
export type ConnectionDecision = ConnectionPermit | ConnectionRefusal;

interface Entry {
  /** Tokens in the address's new-connection bucket. */
  tokens: number;
  /** Clock reading of the last refill. */
  last: number;
  /** Acquired, not yet released, connections. */
  open: number;
}

const noop = (): void => {};
const ALLOWED_UNTRACKED: ConnectionPermit = Object.freeze({ ok: true, release: noop });
const REFUSED_RATE: ConnectionRefusal = Object.freeze({ ok: false, reason: "rate" });
const REFUSED_CONCURRENT: ConnectionRefusal = Object.freeze({ ok: false, reason: "concurrent" });

/**
 * DoS protection per remote address: limits how fast an address may open
 * connections (a token bucket per address) and how many it may hold at once.
 *
 * Memory stays bounded: an address is forgotten as soon as it has no open
 * connection and its bucket is full again (a fresh entry would be identical).
 * This happens lazily (on release, and on each `tryAcquire` for the oldest
 * entries), through {@link ConnectionLimiter.sweep}, and by evicting the least
 * recently used idle address once {@link ConnectionLimiterOptions.maxTrackedIps}
 * are tracked. An evicted address whose bucket was not yet full gets a full
 * bucket back when it returns: the cap trades a little rate accuracy under a
 * flood of distinct addresses for bounded memory.
 *
 * @example
 * ```ts
 * const limiter = new ConnectionLimiter({ perIpRate: 5, perIpBurst: 10, maxPerIp: 20 });
 * server.on("connection", (socket) => {
 *   const decision = limiter.tryAcquire(socket.remoteAddress ?? "");
 *   if (!decision.ok) return socket.destroy();
 *   socket.once("close", decision.release);
 * });
 * setInterval(() => limiter.sweep(), 60_000).unref();
 * ```
 */
export class ConnectionLimiter {
  /** New connections per second per address (`Infinity`: unlimited). */
  readonly perIpRate: number;
  /** Burst of new connections per address (`Infinity` when the rate is unlimited). */
  readonly perIpBurst: number;
  /** Concurrent connections per address (`Infinity`: unlimited). */
  readonly maxPerIp: number;
  /** Soft cap on tracked addresses. */
  readonly maxTrackedIps: number;
  private readonly clock: Clock;
  private readonly unlimited: boolean;
  /** Insertion order is recency order: accessed entries are moved to the end. */
  private readonly entries = new Map<string, Entry>();
  /** Entries with `open > 0`. */
  private busy = 0;

  /**
   * @param options - see {@link ConnectionLimiterOptions}; the object is not kept or modified
   * @throws `TaurusError` (`code: "INVALID_OPTION"`) naming the
   *   offending option when a value is out of range
   */
  constructor(options: ConnectionLimiterOptions = {}) {
    this.perIpRate = checkRate("perIpRate", options.perIpRate ?? DEFAULT_PER_IP_RATE);
    const rateUnlimited = this.perIpRate === Number.POSITIVE_INFINITY;
    const burst =
      options.perIpBurst === undefined
        ? burstForRate(this.perIpRate)
        : checkCount("perIpBurst", options.perIpBurst, false);
    this.perIpBurst = rateUnlimited ? Number.POSITIVE_INFINITY : burst;
    this.maxPerIp = checkCount("maxPerIp", options.maxPerIp ?? DEFAULT_MAX_PER_IP, true);
    this.maxTrackedIps = checkCount(
      "maxTrackedIps",
      options.maxTrackedIps ?? DEFAULT_MAX_TRACKED_IPS,
      false,
    );
    this.clock = checkClock("now", options.now ?? DEFAULT_CLOCK);
    this.unlimited = rateUnlimited && this.maxPerIp === Number.POSITIVE_INFINITY;
  }

  /** The number of addresses currently tracked. */
  get size(): number {
    return this.entries.size;
  }

  /**
   * Asks for a connection slot for `ip`. On success, call `release()` when the
   * connection closes (extra calls are ignored). A refusal consumes nothing.
   *
   * @param ip - the remote address (any string key; normalise IPv4-mapped IPv6 first if needed)
   * @returns `{ ok: true, release }` or `{ ok: false, reason: "rate" | "concurrent" }`
   */
  tryAcquire(ip: string): ConnectionDecision {
    if (this.unlimited) return ALLOWED_UNTRACKED;
    const t = this.clock();
    this.trimOldest(t);
    let entry = this.entries.get(ip);
    if (entry === undefined) {
      this.makeRoom();
      entry = { tokens: this.perIpBurst, last: t, open: 0 };
    } else {
      this.refill(entry, t);
      // Move to the end: most recently used.
      this.entries.delete(ip);
      if (entry.open >= this.maxPerIp) {
        this.entries.set(ip, entry);
        return REFUSED_CONCURRENT;
      }
      if (entry.tokens + TOKEN_EPSILON < 1) {
        this.entries.set(ip, entry);
        return REFUSED_RATE;
      }
    }
    this.entries.set(ip, entry);
    entry.tokens -= 1;
    if (entry.open++ === 0) this.busy++;
    return this.permit(ip, entry);
  }

  /**
   * Forgets every address that has no open connection and a full bucket.
   * O(tracked addresses); a server may call it periodically, but it is not
   * required for correctness or for bounded memory.
   *
   * @returns the number of addresses forgotten
   */
  sweep(): number {
    const t = this.clock();
    let removed = 0;
    for (const [ip, entry] of this.entries) {
      if (this.forgettable(entry, t)) {
        this.entries.delete(ip);
        removed++;
      }
    }
    return removed;
  }

  private permit(ip: string, entry: Entry): ConnectionPermit {
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        if (--entry.open > 0) return;
        this.busy--;
        if (this.entries.get(ip) === entry && this.forgettable(entry, this.clock())) {
          this.entries.delete(ip);
        }
      },
    };
  }

  private refill(entry: Entry, t: number): void {
    const elapsed = t - entry.last;
    if (elapsed > 0) {
      const next = entry.tokens + (elapsed * this.perIpRate) / 1000;
      entry.tokens = Math.min(next, this.perIpBurst);
    }
    entry.last = t;
  }

  /** Idle and full: identical to a fresh entry, so it can be dropped. */
  private forgettable(entry: Entry, t: number): boolean {
    if (entry.open > 0) return false;
    this.refill(entry, t);
    return entry.tokens >= this.perIpBurst;
  }

  /** Incremental cleanup: drops up to two forgettable entries at the old end. */
  private trimOldest(t: number): void {
    for (let i = 0; i < 2; i++) {
      const first = this.entries.entries().next();
      if (first.done || !this.forgettable(first.value[1], t)) return;
      this.entries.delete(first.value[0]);
    }
  }

  /** At the cap, evicts the least recently used idle entry, if any. */
  private makeRoom(): void {
    if (this.entries.size < this.maxTrackedIps || this.busy >= this.entries.size) return;
    for (const [ip, entry] of this.entries) {
      this.entries.delete(ip);
      if (entry.open === 0) return;
      // Busy entries cannot be evicted: move them to the end and keep looking.
      this.entries.set(ip, entry);
    }
  }
}
