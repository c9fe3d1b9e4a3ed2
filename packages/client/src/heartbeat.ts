/**
 * Heartbeat timers of one connection: sends a beat every `interval` ms, and
 * declares the peer dead when nothing arrived for `timeout` ms. Inbound
 * traffic calls {@link Heartbeat.touch}. While `isPaused()` is true (the
 * client stopped reading on purpose) silence is not held against the peer.
 * A `timeout` of 0 never declares the peer dead (keepalive only).
 *
 * @internal
 */
export class Heartbeat {
  private lastSeen = 0;
  private beatTimer: NodeJS.Timeout | undefined;
  private checkTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly interval: number,
    private readonly timeout: number,
    private readonly beat: () => void,
    private readonly dead: () => void,
    private readonly isPaused: () => boolean,
  ) {}

  /** Starts both timers; inbound silence is counted from now. */
  start(): void {
    this.stop();
    this.lastSeen = performance.now();
    this.beatTimer = setInterval(this.beat, this.interval);
    this.beatTimer.unref?.();
    if (this.timeout > 0) this.scheduleCheck(this.timeout);
  }

  /** Records inbound traffic. */
  touch(): void {
    this.lastSeen = performance.now();
  }

  /** Stops both timers. */
  stop(): void {
    if (this.beatTimer) clearInterval(this.beatTimer);
    if (this.checkTimer) clearTimeout(this.checkTimer);
    this.beatTimer = this.checkTimer = undefined;
  }

  private scheduleCheck(delay: number): void {
    this.checkTimer = setTimeout(this.check, Math.max(1, Math.ceil(delay)));
    this.checkTimer.unref?.();
  }

  private readonly check = (): void => {
    this.checkTimer = undefined;
    if (this.isPaused()) this.touch();
    const silentFor = performance.now() - this.lastSeen;
    if (silentFor >= this.timeout) {
      this.stop();
      this.dead();
      return;
    }
    this.scheduleCheck(this.timeout - silentFor);
  };
}
