/**
 * Heartbeat timers of one client: sends a beat every `interval` ms, and
 * declares the peer dead when nothing arrived for `timeout` ms. What arrived
 * is read from the connection's own counters (`activity`: its `bytesIn`), not
 * from the socket: no listener per read, and the heartbeat sees exactly what
 * the connection received. Silence is checked four times per `timeout`, so
 * a dead peer is declared at most a quarter of `timeout` late. While
 * `isPaused()` is true (the client stopped reading on purpose) silence is not
 * held against the peer. A `timeout` of 0 never declares the peer dead
 * (keepalive only).
 *
 * @internal
 */
export class Heartbeat {
  private lastSeen = 0;
  private lastActivity = 0;
  private activity: () => number = () => 0;
  private beatTimer: NodeJS.Timeout | undefined;
  private checkTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly interval: number,
    private readonly timeout: number,
    private readonly beat: () => void,
    private readonly dead: () => void,
    private readonly isPaused: () => boolean,
  ) {}

  /**
   * Starts both timers; inbound silence is counted from now.
   *
   * @param activity - a count that grows with what arrives (the connection's `stats.bytesIn`)
   */
  start(activity: () => number): void {
    this.stop();
    this.activity = activity;
    this.lastActivity = activity();
    this.lastSeen = performance.now();
    this.beatTimer = setInterval(this.beat, this.interval);
    this.beatTimer.unref?.();
    if (this.timeout > 0) this.scheduleCheck();
  }

  /** Stops both timers. */
  stop(): void {
    if (this.beatTimer) clearInterval(this.beatTimer);
    if (this.checkTimer) clearTimeout(this.checkTimer);
    this.beatTimer = this.checkTimer = undefined;
  }

  private scheduleCheck(): void {
    this.checkTimer = setTimeout(this.check, Math.max(1, Math.ceil(this.timeout / 4)));
    this.checkTimer.unref?.();
  }

  private readonly check = (): void => {
    this.checkTimer = undefined;
    const now = performance.now();
    const seen = this.activity();
    if (seen !== this.lastActivity || this.isPaused()) {
      this.lastActivity = seen;
      this.lastSeen = now;
    }
    if (now - this.lastSeen >= this.timeout) {
      this.stop();
      this.dead();
      return;
    }
    this.scheduleCheck();
  };
}
