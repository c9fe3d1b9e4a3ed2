// /metrics (Prometheus text, with Node's process metrics), /livez, /readyz and /healthz over
// HTTP, bounded so that the endpoints cannot be turned against the process: a connection cap
// (in all and per address), header, request, keep-alive and idle timeouts, and one scrape at a
// time whose result is shared by every request within a short cache.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { registerPrometheus } from "@taurus/metrics";
import promClient from "prom-client";
import { type Readiness, roomReadiness } from "./health";
import { registerInstanceMetrics } from "./instance-metrics";
import type { Logger } from "./logger";
import type { ChatRoom } from "./room";

/** The bounds of the HTTP endpoints. */
export type HttpLimits = { [K in keyof typeof HTTP_LIMITS]: number };

/** The bounds of the HTTP endpoints (tests pass smaller ones). */
export const HTTP_LIMITS = {
  /** Connections at once, in all. */
  maxConnections: 64,
  /** Connections at once from one address. */
  maxPerAddress: 8,
  /** Ms to receive a request's headers (from the connection's start for the first one). */
  headersTimeout: 5000,
  /** Ms to receive a whole request. */
  requestTimeout: 10_000,
  /** Ms a kept-alive connection may wait for its next request. */
  keepAliveTimeout: 5000,
  /** Ms of silence after which any connection is closed. */
  idleTimeout: 10_000,
  /** Requests on one connection before it is closed. */
  maxRequestsPerSocket: 100,
  /** Ms a /metrics text is served again to whoever asks, instead of scraping anew. */
  metricsCache: 1000,
  /** Ms the readiness (and the workers' snapshots behind it) is served again. */
  healthCache: 200,
} as const;

/** What the HTTP server shows. */
export interface HttpSource {
  registry: promClient.Registry;
  /** Called before a scrape (the cluster primary gathers its workers' snapshots). */
  refresh?: () => Promise<void>;
  /** Readiness, with the detail served by /readyz and /healthz. */
  readiness: () => Promise<Readiness>;
}

/** One process serving the room: its servers' counters (labelled by protocol), its backplane's. */
export function roomSource(room: ChatRoom, stopping: () => boolean): HttpSource {
  const registry = new promClient.Registry();
  promClient.collectDefaultMetrics({ register: registry });
  for (const protocol of ["json", "binary"] as const) {
    registerPrometheus(promClient, room.metrics[protocol], { registry, labels: { protocol } });
  }
  registerInstanceMetrics(
    registry,
    () => [
      {
        instance: room.adapter.instanceId,
        metrics: room.snapshot(),
        backplane: room.adapter.stats(),
      },
    ],
    false,
  );
  return { registry, readiness: async () => roomReadiness(room, stopping()) };
}

/** `fn`, run once at a time; its result is reused by every caller within `ttl` ms. */
export function shared<T>(fn: () => Promise<T>, ttl: number): () => Promise<T> {
  let running: Promise<T> | undefined;
  let last: { at: number; value: T } | undefined;
  return () => {
    if (last && Date.now() - last.at < ttl) return Promise.resolve(last.value);
    if (!running) {
      running = fn().then(
        (value) => {
          last = { at: Date.now(), value };
          running = undefined;
          return value;
        },
        (err: unknown) => {
          running = undefined;
          throw err;
        },
      );
    }
    return running;
  };
}

/** The HTTP server, listening, with what it refused. */
export type HttpServer = http.Server & { port: number; refused: () => number };

export async function startHttp(
  source: HttpSource,
  host: string,
  port: number,
  log: Logger,
  limits: HttpLimits = HTTP_LIMITS,
): Promise<HttpServer> {
  const { registry } = source;
  // One gathering of the workers' snapshots at a time, shared by whoever asks meanwhile.
  const refresh = shared(source.refresh ?? (() => Promise.resolve()), 0);
  const readiness = shared(async () => {
    await refresh();
    return source.readiness();
  }, limits.healthCache);
  const metrics = shared(async () => {
    await refresh();
    return registry.metrics();
  }, limits.metricsCache);

  const server = http.createServer(
    {
      headersTimeout: limits.headersTimeout,
      requestTimeout: limits.requestTimeout,
      keepAliveTimeout: limits.keepAliveTimeout,
      connectionsCheckingInterval: 500,
      maxHeaderSize: 8192,
    },
    (req, res) => {
      const fail = (err: unknown): void => {
        if (res.headersSent) return void res.destroy();
        res.writeHead(500, { "content-type": "text/plain" });
        res.end(String(err));
      };
      const path = req.url?.split("?")[0];
      if (req.method !== "GET") {
        res.writeHead(405, { "content-type": "text/plain", allow: "GET" });
        res.end("method not allowed\n");
        return;
      }
      if (path === "/metrics") {
        metrics().then((text) => {
          res.writeHead(200, { "content-type": registry.contentType });
          res.end(text);
        }, fail);
        return;
      }
      if (path === "/livez") {
        res.writeHead(200, { "content-type": "application/json" });
        res.end('{"status":"live"}');
        return;
      }
      if (path === "/readyz" || path === "/healthz") {
        readiness().then(({ ready, detail }) => {
          res.writeHead(ready ? 200 : 503, { "content-type": "application/json" });
          res.end(JSON.stringify(detail));
        }, fail);
        return;
      }
      res.writeHead(404, { "content-type": "text/plain" });
      res.end("not found\n");
    },
  );
  server.keepAliveTimeout = limits.keepAliveTimeout;
  server.maxConnections = limits.maxConnections;
  server.maxRequestsPerSocket = limits.maxRequestsPerSocket;
  server.timeout = limits.idleTimeout;
  let refused = 0;
  const perAddress = new Map<string, number>();
  server.on("connection", (socket) => {
    const address = socket.remoteAddress ?? "";
    const open = (perAddress.get(address) ?? 0) + 1;
    if (open > limits.maxPerAddress) {
      refused++;
      socket.destroy();
      return;
    }
    perAddress.set(address, open);
    socket.once("close", () => {
      const left = (perAddress.get(address) ?? 1) - 1;
      if (left === 0) perAddress.delete(address);
      else perAddress.set(address, left);
    });
  });
  server.on("drop", () => {
    refused++;
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  // Once listening, an accept error (out of file descriptors) must not crash the process:
  // Node keeps accepting; say so, at most once a minute.
  let lastWarn = 0;
  server.on("error", (err: NodeJS.ErrnoException) => {
    const now = Date.now();
    if (now - lastWarn < 60_000) return;
    lastWarn = now;
    log.warn("http accept failed", { code: err.code, error: err.message });
  });
  return Object.assign(server, {
    port: (server.address() as AddressInfo).port,
    refused: () => refused,
  });
}

/** Closes the HTTP server and every connection it has. */
export async function stopHttp(server: http.Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  await closed;
}
