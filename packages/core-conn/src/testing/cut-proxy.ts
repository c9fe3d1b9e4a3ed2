import net from "node:net";

/** A TCP proxy for tests that cuts the connections through it on demand (see {@link startCutProxy}). */
export interface CutProxy {
  /** The port the proxy listens on, on its host. */
  readonly port: number;
  /**
   * Resets every connection through the proxy, both sides (no FIN: as a
   * network cut or a crashed peer looks).
   *
   * @returns how many connections were cut
   */
  cut(): number;
  /** While held, new connections are reset at once (the target looks unreachable). Default: not held. */
  hold(on: boolean): void;
  /** Cuts what is left and stops listening. */
  close(): Promise<void>;
}

/**
 * Starts a TCP proxy on `host` (an ephemeral port) to `target` on the same
 * host, that forwards bytes both ways unchanged until {@link CutProxy.cut}.
 * Used to test reconnection and sessions across broken connections.
 *
 * @param target - the port to forward to
 * @param host - where the proxy listens and the target is; default `"127.0.0.1"`
 * @returns the proxy, listening; call `close()` after the test
 */
export async function startCutProxy(target: number, host = "127.0.0.1"): Promise<CutProxy> {
  const pairs = new Set<[net.Socket, net.Socket]>();
  let held = false;
  const server = net.createServer((downstream) => {
    if (held) {
      downstream.resetAndDestroy();
      return;
    }
    const upstream = net.connect({ host, port: target });
    const pair: [net.Socket, net.Socket] = [downstream, upstream];
    pairs.add(pair);
    const drop = (): void => {
      pairs.delete(pair);
      downstream.destroy();
      upstream.destroy();
    };
    downstream.on("error", drop).on("close", drop);
    upstream.on("error", drop).on("close", drop);
    downstream.pipe(upstream);
    upstream.pipe(downstream);
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const cut = (): number => {
    const n = pairs.size;
    for (const [a, b] of [...pairs]) {
      a.resetAndDestroy();
      b.resetAndDestroy();
    }
    pairs.clear();
    return n;
  };
  return {
    port: (server.address() as net.AddressInfo).port,
    cut,
    hold: (on) => {
      held = on;
    },
    close: () => {
      cut();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
