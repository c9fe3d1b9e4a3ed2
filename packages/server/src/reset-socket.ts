import net from "node:net";
import tls from "node:tls";

/**
 * @internal Destroys a plain TCP socket with a reset (RST), so that its peer
 * does not mistake a forced close for a complete one; other sockets (TLS, any
 * Duplex) are left to the plain `destroy` that follows.
 */
export function resetSocket(socket: unknown): void {
  if (!(socket instanceof net.Socket) || socket instanceof tls.TLSSocket) return;
  try {
    socket.resetAndDestroy();
  } catch {
    // Not a TCP handle after all: the plain destroy that follows closes it.
  }
}
