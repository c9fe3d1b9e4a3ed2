// A TCP proxy on 127.0.0.1 that cuts every connection through it at a random point: after
// a random number of bytes forwarded in a random direction (mid-frame, most of the time:
// the chunk that crosses the budget is forwarded only up to it), or after a random time
// when too little traffic flows to reach the budget. A cut resets both sides at once.
import net from "node:net";

/** Options of {@link startCuttingProxy}. */
export interface CuttingProxyOptions {
  /** Where to forward: a port on 127.0.0.1. */
  target: number;
  /** Each connection is cut after a random number of bytes in `[min, max]` forwarded one way. */
  bytes: readonly [min: number, max: number];
  /** ... or after a random number of milliseconds in `[min, max]`, whichever comes first. */
  millis: readonly [min: number, max: number];
  /** Random numbers in [0, 1); `Math.random` unless given (a seeded one replays a run). */
  random?: () => number;
}

/** Cuts made so far, by where they fell. */
export interface CutCounts {
  /** Cut while forwarding client-to-server bytes. */
  upstream: number;
  /** Cut while forwarding server-to-client bytes. */
  downstream: number;
  /** Cut by the timer (no byte budget reached). */
  timed: number;
  /** All cuts. */
  total: number;
}

/** A running proxy. */
export interface CuttingProxy {
  /** The port it listens on, on 127.0.0.1. */
  readonly port: number;
  /** Cuts made so far. */
  readonly cuts: CutCounts;
  /** Connections accepted so far. */
  readonly connections: number;
  /** Turns cutting on or off, for every connection, open or to come. */
  setCutting(on: boolean): void;
  /** Stops listening and destroys every connection. */
  close(): Promise<void>;
}

/** Starts a cutting proxy in front of 127.0.0.1:`options.target`. */
export async function startCuttingProxy(options: CuttingProxyOptions): Promise<CuttingProxy> {
  const random = options.random ?? Math.random;
  const between = ([min, max]: readonly [number, number]) =>
    Math.floor(min + random() * (max - min + 1));
  const cuts: CutCounts = { upstream: 0, downstream: 0, timed: 0, total: 0 };
  const pairs = new Set<() => void>();
  let cutting = true;
  let connections = 0;

  const server = net.createServer({ pauseOnConnect: true }, (client) => {
    connections++;
    const upstream = net.connect({ host: "127.0.0.1", port: options.target });
    let done = false;
    let timer: NodeJS.Timeout | undefined;
    const destroy = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      pairs.delete(destroy);
      client.resetAndDestroy();
      upstream.resetAndDestroy();
    };
    pairs.add(destroy);
    client.on("error", destroy);
    upstream.on("error", destroy);
    client.on("close", destroy);
    upstream.on("close", destroy);
    const cut = (kind: keyof Omit<CutCounts, "total">): void => {
      if (done) return;
      cuts[kind]++;
      cuts.total++;
      destroy();
    };
    // The direction and the byte budget of this connection's cut.
    const cutUpstream = random() < 0.5;
    const budget = between(options.bytes);
    let forwarded = 0;
    const forward = (from: net.Socket, to: net.Socket, counted: boolean): void => {
      from.on("data", (chunk: Buffer) => {
        if (done) return;
        if (counted && cutting && forwarded + chunk.length >= budget) {
          const head = chunk.subarray(0, budget - forwarded);
          forwarded = budget;
          const kind = to === upstream ? "upstream" : "downstream";
          // The bytes up to the budget reach the peer, then both sides are reset.
          if (head.length > 0) to.write(head, () => cut(kind));
          else cut(kind);
          from.pause();
          return;
        }
        if (counted) forwarded += chunk.length;
        if (!to.write(chunk)) {
          from.pause();
          to.once("drain", () => {
            if (!done) from.resume();
          });
        }
      });
      from.on("end", () => {
        if (!done) to.end();
      });
    };
    upstream.once("connect", () => {
      if (done) return;
      forward(client, upstream, cutUpstream);
      forward(upstream, client, !cutUpstream);
      client.resume();
      timer = setTimeout(() => {
        if (cutting) cut("timed");
      }, between(options.millis));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    port,
    cuts,
    get connections() {
      return connections;
    },
    setCutting(on) {
      cutting = on;
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const destroy of [...pairs]) destroy();
      await closed;
    },
  };
}
