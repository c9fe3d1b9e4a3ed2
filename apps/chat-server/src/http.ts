// /metrics (Prometheus text, with Node's process metrics) and /healthz over HTTP.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { registerPrometheus } from "@taurus/metrics";
import promClient from "prom-client";
import { registerInstanceMetrics } from "./instance-metrics";
import type { ChatRoom } from "./room";

/** What the HTTP server shows. */
export interface HttpSource {
  registry: promClient.Registry;
  /** Called before each scrape (the cluster primary gathers its workers' snapshots). */
  refresh?: () => Promise<void>;
  /** The body of /healthz. */
  health: () => Promise<Record<string, unknown>>;
}

/** One process serving the room: its server counters, unlabelled, and its backplane's. */
export function roomSource(room: ChatRoom): HttpSource {
  const registry = new promClient.Registry();
  promClient.collectDefaultMetrics({ register: registry });
  registerPrometheus(promClient, room.metrics, { registry });
  registerInstanceMetrics(
    registry,
    () => [
      {
        instance: room.adapter.instanceId,
        metrics: room.metrics.snapshot(),
        backplane: room.adapter.stats(),
      },
    ],
    false,
  );
  return {
    registry,
    health: async () => ({ status: "ok", connections: room.connectionCount }),
  };
}

export async function startHttp(
  source: HttpSource,
  host: string,
  port: number,
): Promise<http.Server & { port: number }> {
  const { registry } = source;
  const server = http.createServer((req, res) => {
    const fail = (err: unknown): void => {
      res.writeHead(500, { "content-type": "text/plain" });
      res.end(String(err));
    };
    if (req.method === "GET" && req.url === "/metrics") {
      (source.refresh ?? (() => Promise.resolve()))()
        .then(() => registry.metrics())
        .then((text) => {
          res.writeHead(200, { "content-type": registry.contentType });
          res.end(text);
        }, fail);
      return;
    }
    if (req.method === "GET" && req.url === "/healthz") {
      source.health().then((body) => {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify(body));
      }, fail);
      return;
    }
    res.writeHead(404, { "content-type": "text/plain" });
    res.end("not found\n");
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  return Object.assign(server, { port: (server.address() as AddressInfo).port });
}
