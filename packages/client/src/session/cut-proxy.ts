import net from "node:net";

/** A TCP proxy for tests that can cut every connection through it at once. */
export interface CutProxy {
  readonly port: number;
  /** Destroys every connection through the proxy (both sides, without a FIN). */
  cut(): number;
  close(): Promise<void>;
}

/**
 * Starts a proxy on 127.0.0.1 to `target`.
 *
 * @param target - the port to forward to
 * @returns the proxy
 */
export async function startCutProxy(target: number): Promise<CutProxy> {
  const pairs = new Set<[net.Socket, net.Socket]>();
  const server = net.createServer((client) => {
    const upstream = net.connect({ host: "127.0.0.1", port: target });
    const pair: [net.Socket, net.Socket] = [client, upstream];
    pairs.add(pair);
    const drop = (): void => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on("error", drop).on("close", drop);
    upstream.on("error", drop).on("close", drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
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
    port,
    cut,
    async close() {
      cut();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
