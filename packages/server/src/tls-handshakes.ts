// TCP sockets of a TLS server still in their handshake. Node's TLS handshake timeout
// starts only once a handshake does: a peer that connects and stays silent would be kept
// forever. Each is timed from its TCP connect instead (the server's handshakeTimeout).
import type net from "node:net";
import { TaurusError } from "@taurus/core-conn";

/** @internal */
export class TlsHandshakes {
  /** By remote address and port. */
  private readonly pending = new Map<
    string,
    { raw: net.Socket; timer: NodeJS.Timeout | undefined }
  >();

  /**
   * @param timeout - milliseconds from the TCP connect to the end of the handshake; 0: none
   * @param report - told of each socket destroyed for its deadline
   */
  constructor(
    private readonly timeout: number,
    private readonly report: (error: TaurusError) => void,
  ) {}

  /** A TCP connection arrived (the listener's `connection` event): its deadline starts. */
  readonly started = (raw: net.Socket): void => {
    const key = `${raw.remoteAddress}:${raw.remotePort}`;
    const timeout = this.timeout;
    const timer =
      timeout > 0
        ? setTimeout(() => {
            raw.destroy();
            this.report(
              new TaurusError("HANDSHAKE_TIMEOUT", `no TLS handshake within ${timeout} ms`),
            );
          }, timeout).unref()
        : undefined;
    this.pending.set(key, { raw, timer });
    raw.once("close", () => this.done(key));
  };

  /** The handshake of the connection from `remoteAddress:remotePort` ended (or it closed). */
  finished(remoteAddress: string | undefined, remotePort: number | undefined): void {
    this.done(`${remoteAddress}:${remotePort}`);
  }

  /** Destroys every socket still in its handshake (the server closes). */
  destroyAll(): void {
    for (const { raw } of this.pending.values()) raw.destroy();
  }

  private done(key: string): void {
    const entry = this.pending.get(key);
    if (!entry) return;
    clearTimeout(entry.timer);
    this.pending.delete(key);
  }
}
