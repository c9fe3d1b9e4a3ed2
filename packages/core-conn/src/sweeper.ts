/** Something the {@link Sweeper} visits on every tick. @internal */
export interface Sweepable {
  /** Checks deadlines against `now` (a `performance.now()` reading in whole milliseconds, rounded down). */
  sweep(now: number): void;
}

/** Where a connection's deadlines are visited: the process's {@link Sweeper}, or a server's own. @internal */
export interface SweeperLike {
  /** Visits `member` from now on; `shortest` is the shortest deadline, in ms, it enforces. */
  add(member: Sweepable, shortest: number): void;
  /** Stops visiting `member`. */
  delete(member: Sweepable): void;
}

/** Finest tick, in milliseconds: deadlines shorter than 40 ms are checked this often. */
const MIN_PERIOD = 10;
/** Coarsest tick: every deadline is checked at least once a second. */
const MAX_PERIOD = 1000;

/**
 * One coarse timer for every deadline of the process (first byte, frame
 * completion, idle, write, lingering closes), instead of timers per
 * connection: an idle connection costs a set entry, not a timer.
 *
 * The tick is a quarter of the shortest deadline a member asked for (clamped
 * to 10 ms..1 s), so a deadline fires at most a quarter late. The timer runs
 * only while there are members, and never keeps the process alive.
 *
 * @internal
 */
export class Sweeper implements SweeperLike {
  private readonly members = new Set<Sweepable>();
  private timer: NodeJS.Timeout | undefined;
  private period = MAX_PERIOD;

  /** Members being visited. */
  get size(): number {
    return this.members.size;
  }

  /**
   * Visits `member` on every tick from now on.
   *
   * @param member - what to visit
   * @param shortest - the shortest deadline, in ms, the member enforces
   */
  add(member: Sweepable, shortest: number): void {
    this.members.add(member);
    const period = Math.min(MAX_PERIOD, Math.max(MIN_PERIOD, Math.floor(shortest / 4)));
    if (this.timer === undefined || period < this.period) {
      this.period = Math.min(period, this.period);
      if (this.timer) clearInterval(this.timer);
      this.timer = setInterval(this.tick, this.period);
      this.timer.unref();
    }
  }

  /** Stops visiting `member`; the timer stops with the last member. */
  delete(member: Sweepable): void {
    if (!this.members.delete(member) || this.members.size > 0) return;
    clearInterval(this.timer);
    this.timer = undefined;
    this.period = MAX_PERIOD;
  }

  private readonly tick = (): void => {
    const now = Math.floor(performance.now());
    let failure: { error: unknown } | undefined;
    // A member may delete itself (or others) while visited: Set iteration allows it.
    for (const member of this.members) {
      try {
        member.sweep(now);
      } catch (error) {
        // A throwing listener (of a `close` event, say) must not spare the
        // other members; it is rethrown as it would have been from a timer.
        failure ??= { error };
      }
    }
    if (failure) {
      const { error } = failure;
      queueMicrotask(() => {
        throw error;
      });
    }
  };
}

/** The process-wide sweeper. @internal */
export const sweeper = new Sweeper();
