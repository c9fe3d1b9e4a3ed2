import { Duplex } from "node:stream";

/**
 * One end of an in-memory socket pair: what is written to it is read from its
 * peer. It behaves like a connected `net.Socket` for a `Connection`:
 * `end()` ends the peer's readable side, `destroy()` closes both ends.
 */
export class MemorySocket extends Duplex {
  /** The other end; set by {@link createSocketPair}. */
  peer: MemorySocket | undefined;
  /** A fake remote address, for code that reads it. */
  readonly remoteAddress: string;
  /** A fake remote port. */
  readonly remotePort: number;
  /** A fake local address. */
  readonly localAddress = "memory";
  /** A fake local port. */
  readonly localPort: number;
  /** Always `false`: the pair is connected from the start. */
  readonly connecting = false;

  /**
   * @param localPort - the port this end pretends to have
   * @param remotePort - the port its peer pretends to have
   */
  constructor(localPort: number, remotePort: number) {
    super({ allowHalfOpen: false });
    this.localPort = localPort;
    this.remotePort = remotePort;
    this.remoteAddress = "memory";
  }

  /** @internal */
  override _read(): void {}

  /** @internal */
  override _write(
    chunk: Buffer,
    _encoding: BufferEncoding,
    callback: (error?: Error | null) => void,
  ): void {
    const peer = this.peer;
    if (!peer || peer.destroyed) {
      callback(new Error("peer is closed"));
      return;
    }
    // Deliver on a later tick, as a real socket would, never inside the writer's call.
    setImmediate(() => {
      if (!peer.destroyed) peer.push(Buffer.from(chunk));
      callback();
    });
  }

  /** @internal */
  override _final(callback: (error?: Error | null) => void): void {
    const peer = this.peer;
    setImmediate(() => {
      if (peer && !peer.destroyed) peer.push(null);
      callback();
    });
  }

  /** @internal */
  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const peer = this.peer;
    if (peer && !peer.destroyed) setImmediate(() => peer.destroy());
    callback(error);
  }
}

/**
 * Creates two connected in-memory sockets, for tests that need a
 * `Connection` without the network.
 *
 * @returns `[a, b]`: bytes written to `a` are read from `b` and the reverse
 */
export function createSocketPair(): [MemorySocket, MemorySocket] {
  const a = new MemorySocket(1, 2);
  const b = new MemorySocket(2, 1);
  a.peer = b;
  b.peer = a;
  return [a, b];
}
