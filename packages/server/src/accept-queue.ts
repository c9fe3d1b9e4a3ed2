import type { Duplex } from "node:stream";

/**
 * Most connections set up per turn of the event loop. Past it, accepted
 * sockets wait for the next turn, so a storm of connects never keeps the loop
 * from serving the connections it already has.
 */
export const ACCEPTS_PER_TICK = 64;

const ignore = (): void => {};

/**
 * Accepted sockets waiting to be set up: at most {@link ACCEPTS_PER_TICK} per
 * turn of the event loop; below that, a socket is set up at once.
 *
 * @internal
 */
export class AcceptQueue<P> {
  private sockets: Duplex[] = [];
  private passes: P[] = [];
  private head = 0;
  private thisTick = 0;
  private scheduled = false;

  constructor(private readonly setUp: (socket: Duplex, pass: P) => void) {}

  /** Sockets waiting. */
  get length(): number {
    return this.sockets.length - this.head;
  }

  push(socket: Duplex, pass: P): void {
    this.schedule();
    if (this.length === 0 && this.thisTick < ACCEPTS_PER_TICK) {
      this.thisTick++;
      this.setUp(socket, pass);
      return;
    }
    // A reset while waiting must not be an unhandled 'error'.
    socket.on("error", ignore);
    this.sockets.push(socket);
    this.passes.push(pass);
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.next);
  }

  private readonly next = (): void => {
    this.scheduled = false;
    this.thisTick = 0;
    while (this.head < this.sockets.length && this.thisTick < ACCEPTS_PER_TICK) {
      const socket = this.sockets[this.head] as Duplex;
      const pass = this.passes[this.head] as P;
      this.head++;
      this.thisTick++;
      socket.off("error", ignore);
      this.setUp(socket, pass);
    }
    if (this.head === this.sockets.length) {
      this.sockets = [];
      this.passes = [];
      this.head = 0;
    }
    // Once more: to set up the rest, or to start the next turn's count afresh.
    if (this.thisTick > 0) this.schedule();
  };
}
