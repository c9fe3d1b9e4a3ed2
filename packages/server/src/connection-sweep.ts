import type { Connection } from "@taurus/core-conn";
import { type Sweepable, type SweeperLike, sweeper } from "@taurus/core-conn/internal";

/**
 * A server's connections, swept as one member of the process's sweeper: the
 * server already holds every connection in its table, so a connection costs no
 * entry in the sweeper's set (issue 18: ~30 bytes per idle connection at 10,000).
 *
 * Connections given this as their `sweeper` must be in `connections()` from the
 * tick they are made until they close.
 *
 * @internal
 */
export class ConnectionSweep implements SweeperLike, Sweepable {
  private shortest = Number.POSITIVE_INFINITY;
  private registered = false;

  /** @param connections - the connections to visit, as they are at each tick */
  constructor(private readonly connections: () => Iterable<Connection<unknown>>) {}

  /** A connection enforcing `shortest` ms deadlines joined: the tick follows the shortest. */
  add(_member: Sweepable, shortest: number): void {
    if (this.registered && shortest >= this.shortest) return;
    this.shortest = Math.min(this.shortest, shortest);
    this.registered = true;
    sweeper.add(this, this.shortest);
  }

  /** A connection closed: it leaves the table, which is what the sweep visits. */
  delete(_member: Sweepable): void {}

  /**
   * Visits every connection; one that throws does not keep the others from their
   * visit, and its error is rethrown after.
   */
  sweep(now: number): void {
    let failure: { error: unknown } | undefined;
    let any = false;
    for (const conn of this.connections()) {
      any = true;
      try {
        conn.sweep(now);
      } catch (error) {
        failure ??= { error };
      }
    }
    if (!any) this.stop();
    if (failure) throw failure.error;
  }

  /** Leaves the process's sweeper (no connection left); the next connection joins it again. */
  stop(): void {
    sweeper.delete(this);
    this.registered = false;
    this.shortest = Number.POSITIVE_INFINITY;
  }
}
