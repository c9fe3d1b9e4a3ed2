import type { Socket } from "node:net";
import { TaurusError } from "@taurus/core-conn";
import type { ResolvedTransportOptions } from "./options";

/**
 * @internal The sockets between their TCP connect (or upgrade request) and a
 * completed WebSocket upgrade: at most `maxHandshakes` at once, at most
 * `maxHandshakesPerAddress` from one address, each for at most `handshakeTimeout` ms.
 */
export class Handshakes {
  private readonly timers = new Map<Socket, NodeJS.Timeout>();
  private readonly byAddress = new Map<string, number>();
  /** The key each socket is counted under ("" for trusted). */
  private readonly addresses = new Map<Socket, string>();

  constructor(
    private readonly options: ResolvedTransportOptions,
    private readonly refuse: (socket: Socket, error: TaurusError) => void,
  ) {}

  get size(): number {
    return this.timers.size;
  }

  /** Starts timing `socket`; `false` (and refused) when a limit is reached. */
  begin(socket: Socket): boolean {
    if (this.timers.has(socket)) return true;
    const raw = socket.remoteAddress ?? "";
    const o = this.options;
    const plain = raw.startsWith("::ffff:") ? raw.slice(7) : raw;
    // A trusted address is counted under no address: only the global cap applies.
    const address = o.trustedAddresses.has(plain) ? "" : raw;
    const fromAddress = address === "" ? 0 : (this.byAddress.get(address) ?? 0);
    if (this.timers.size >= o.maxHandshakes || fromAddress >= o.maxHandshakesPerAddress) {
      const which =
        fromAddress >= o.maxHandshakesPerAddress
          ? `${o.maxHandshakesPerAddress} handshakes from ${address}`
          : `${o.maxHandshakes} handshakes`;
      this.refuse(socket, new TaurusError("CONNECTION_LIMIT", `WebSocket: ${which} in progress`));
      return false;
    }
    if (address !== "") this.byAddress.set(address, fromAddress + 1);
    this.addresses.set(socket, address);
    const timer = setTimeout(() => {
      this.end(socket);
      this.refuse(
        socket,
        new TaurusError(
          "HANDSHAKE_TIMEOUT",
          `no WebSocket upgrade within ${o.handshakeTimeout} ms`,
        ),
      );
    }, o.handshakeTimeout);
    timer.unref();
    this.timers.set(socket, timer);
    socket.once("close", () => this.end(socket));
    return true;
  }

  /** The handshake of `socket` is over (upgraded, refused or gone). */
  end(socket: Socket): void {
    const timer = this.timers.get(socket);
    if (timer === undefined) return;
    clearTimeout(timer);
    this.timers.delete(socket);
    const address = this.addresses.get(socket) ?? "";
    this.addresses.delete(socket);
    if (address === "") return;
    const left = (this.byAddress.get(address) ?? 1) - 1;
    if (left > 0) this.byAddress.set(address, left);
    else this.byAddress.delete(address);
  }

  destroyAll(): void {
    for (const socket of [...this.timers.keys()]) {
      this.end(socket);
      socket.destroy();
    }
  }
}
