/** Default most publishers a {@link SequenceTracker} follows at once: 10,000. */
export const DEFAULT_MAX_TRACKED_PUBLISHERS = 10_000;
/** Default ms after which a silent publisher is forgotten by {@link SequenceTracker.sweep}: 60,000. */
export const DEFAULT_PUBLISHER_IDLE_TIMEOUT = 60_000;

/** Options of a {@link SequenceTracker}. */
export interface SequenceTrackerOptions {
  /**
   * Most (channel, publisher) pairs followed at once; past it the one
   * followed the longest is forgotten (its next message starts it afresh, so
   * a gap just before that message would go uncounted).
   * @defaultValue {@link DEFAULT_MAX_TRACKED_PUBLISHERS} (10,000)
   */
  maxPublishers?: number;
  /**
   * {@link SequenceTracker.sweep} forgets a publisher not heard from for this long.
   * @defaultValue {@link DEFAULT_PUBLISHER_IDLE_TIMEOUT} (60,000 ms)
   */
  idleTimeout?: number;
}

interface Position {
  sequence: number;
  seen: number;
}

/**
 * The receiving half of a backplane's delivery accounting, for adapter
 * authors: every publisher numbers what it publishes on a channel 1, 2, 3...
 * (per run of the publisher), and the tracker, fed each sequence number as it
 * arrives, tells a message to deliver from a copy already seen and counts
 * every number that never arrived: `lost` is exact as long as a later message
 * (or a tick, see {@link SequenceTracker.tick}) from that publisher arrives.
 *
 * The first number heard from a publisher is its starting point: what it
 * published before this instance listened is not counted as lost.
 *
 * @example
 * ```ts
 * const tracker = new SequenceTracker();
 * const missing = tracker.observe("lobby", `${origin}/${run}`, sequence);
 * if (missing >= 0) deliver(payload); // missing > 0: that many were lost just before
 * ```
 */
export class SequenceTracker {
  /** Messages that never arrived: sequence numbers skipped, counted once each. */
  lost = 0;
  /** Copies of messages already delivered, dropped. */
  duplicates = 0;
  private readonly positions = new Map<string, Position>();
  private readonly maxPublishers: number;
  private readonly idleTimeout: number;

  /** @param options - see {@link SequenceTrackerOptions} for defaults */
  constructor(options: SequenceTrackerOptions = {}) {
    this.maxPublishers = options.maxPublishers ?? DEFAULT_MAX_TRACKED_PUBLISHERS;
    this.idleTimeout = options.idleTimeout ?? DEFAULT_PUBLISHER_IDLE_TIMEOUT;
  }

  /**
   * A message numbered `sequence` by `publisher` arrived on `channel`.
   *
   * @param publisher - the publisher and its run, e.g. `"a1b2c3/9f8e"` (a restarted publisher is a new run)
   * @param now - the current time in ms, for {@link SequenceTracker.sweep}; @defaultValue `Date.now()`
   * @returns how many messages of this publisher were skipped just before it
   *   (deliver it; they are added to `lost`), or `-1` for a copy of one
   *   already delivered (drop it; it is added to `duplicates`)
   */
  observe(channel: string, publisher: string, sequence: number, now = Date.now()): number {
    const key = `${channel}\n${publisher}`;
    const at = this.positions.get(key);
    if (!at) {
      this.start(key, sequence, now);
      return 0;
    }
    at.seen = now;
    if (sequence <= at.sequence) {
      this.duplicates++;
      return -1;
    }
    const missing = sequence - at.sequence - 1;
    at.sequence = sequence;
    this.lost += missing;
    return missing;
  }

  /**
   * A publisher says its last message on `channel` was `sequence` (a tick,
   * sent while it is idle), so that a loss at the end of a burst is counted
   * too.
   *
   * @returns how many messages of this publisher never arrived (added to `lost`)
   */
  tick(channel: string, publisher: string, sequence: number, now = Date.now()): number {
    const key = `${channel}\n${publisher}`;
    const at = this.positions.get(key);
    if (!at) {
      this.start(key, sequence, now);
      return 0;
    }
    at.seen = now;
    if (sequence <= at.sequence) return 0;
    const missing = sequence - at.sequence;
    at.sequence = sequence;
    this.lost += missing;
    return missing;
  }

  /**
   * Forgets publishers not heard from for `idleTimeout` ms (they stopped, or
   * left); call it now and then, e.g. from the adapter's tick timer.
   *
   * @returns how many were forgotten
   */
  sweep(now = Date.now()): number {
    let forgotten = 0;
    for (const [key, at] of this.positions) {
      if (now - at.seen <= this.idleTimeout) continue;
      this.positions.delete(key);
      forgotten++;
    }
    return forgotten;
  }

  /**
   * Forgets every publisher of `channel`: call it when this instance stops listening to
   * the channel (its last member left), so that what was published meanwhile is not
   * counted as lost when it listens again.
   *
   * @returns how many (channel, publisher) pairs were forgotten
   */
  forget(channel: string): number {
    const prefix = `${channel}\n`;
    let forgotten = 0;
    for (const key of this.positions.keys()) {
      if (!key.startsWith(prefix)) continue;
      this.positions.delete(key);
      forgotten++;
    }
    return forgotten;
  }

  /** How many (channel, publisher) pairs are followed now. */
  get size(): number {
    return this.positions.size;
  }

  private start(key: string, sequence: number, now: number): void {
    if (this.positions.size >= this.maxPublishers) {
      const oldest = this.positions.keys().next().value;
      if (oldest !== undefined) this.positions.delete(oldest);
    }
    this.positions.set(key, { sequence, seen: now });
  }
}
