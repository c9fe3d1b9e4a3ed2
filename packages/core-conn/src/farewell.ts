import type { Duplex } from "node:stream";
import { type Sweepable, sweeper } from "./sweeper";

/**
 * Default milliseconds a socket closed with a farewell frame may linger for the
 * peer to read it and close its side, before it is destroyed (1 s).
 */
export const DEFAULT_FAREWELL_GRACE = 1000;

/**
 * Most sockets lingering at once in the process; past it, a socket is
 * destroyed at once without its farewell, so a storm of refusals cannot pile
 * up file descriptors.
 */
export const MAX_LINGERING = 1024;

const ignore = (): void => {};

/** Sockets ended with a farewell, destroyed when their grace is over. */
class Lingering implements Sweepable {
  private readonly sockets = new Map<Duplex, number>();

  get size(): number {
    return this.sockets.size;
  }

  add(socket: Duplex, grace: number): void {
    this.sockets.set(socket, performance.now() + grace);
    if (this.sockets.size === 1) sweeper.add(this, grace);
    socket.once("close", () => this.forget(socket));
  }

  sweep(now: number): void {
    for (const [socket, deadline] of this.sockets) {
      if (now >= deadline) {
        socket.destroy();
        this.forget(socket);
      }
    }
  }

  private forget(socket: Duplex): void {
    if (this.sockets.delete(socket) && this.sockets.size === 0) sweeper.delete(this);
  }
}

const lingering = new Lingering();

/**
 * Closes `socket`, first telling the peer why: writes `frame` (one encoded
 * frame, typically a message saying why the connection is refused or closed),
 * ends the socket, keeps reading and discarding what the peer still sends (so
 * the kernel does not answer with a reset that would lose the frame), and
 * destroys the socket once the peer closes or `grace` ms have passed.
 *
 * Without a frame, when the socket can no longer be written, or when
 * {@link MAX_LINGERING} sockets already linger, the socket is destroyed at once.
 * No timer per socket: lingering sockets are checked by one shared timer.
 *
 * @param socket - a connected socket (or any Duplex)
 * @param frame - the bytes to write before the end; `undefined` destroys at once
 * @param grace - milliseconds the socket may linger
 * @defaultValue `grace`: {@link DEFAULT_FAREWELL_GRACE} (1 s)
 */
export function closeWithFarewell(
  socket: Duplex,
  frame: Uint8Array | undefined,
  grace = DEFAULT_FAREWELL_GRACE,
): void {
  if (
    frame === undefined ||
    socket.destroyed ||
    !socket.writable ||
    socket.writableEnded ||
    lingering.size >= MAX_LINGERING
  ) {
    socket.destroy();
    return;
  }
  socket.on("error", ignore);
  lingering.add(socket, grace);
  socket.resume();
  socket.end(frame);
}

/** Sockets lingering now (for tests and metrics). @internal */
export function lingeringSockets(): number {
  return lingering.size;
}
