// When the primary starts a crashed worker again: exponential backoff with jitter per worker
// slot, and a crash-loop limit (like systemd's StartLimitBurst / pm2's max restarts).

export interface RestartPolicyOptions {
  /** Ms before the first restart; doubled for each further crash within the window. */
  initialDelay: number;
  /** Longest wait, in ms. */
  maxDelay: number;
  /** Crashes within `window` that make a crash loop. */
  limit: number;
  /** Ms over which crashes are counted. */
  window: number;
  /** A number in [0, 1), for the jitter. */
  random?: () => number;
}

export class RestartPolicy {
  private crashes: number[] = [];
  private readonly random: () => number;

  constructor(private readonly options: RestartPolicyOptions) {
    this.random = options.random ?? Math.random;
  }

  /** Crashes counted within the window, as of the last call to {@link crashed}. */
  get recent(): number {
    return this.crashes.length;
  }

  /**
   * Records a crash at `now`.
   *
   * @returns ms to wait before starting the worker again, or `undefined` in a crash loop
   *   (`limit` crashes within `window`): give up
   */
  crashed(now: number): number | undefined {
    const { initialDelay, maxDelay, limit, window } = this.options;
    this.crashes = this.crashes.filter((t) => now - t < window);
    this.crashes.push(now);
    if (this.crashes.length >= limit) return undefined;
    const full = Math.min(initialDelay * 2 ** (this.crashes.length - 1), maxDelay);
    // "Equal jitter": between half and all of it, so that workers that died together
    // do not all come back in the same millisecond.
    return Math.round(full / 2 + (this.random() * full) / 2);
  }
}
