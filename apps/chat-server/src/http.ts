// /metrics (Prometheus text, with Node's process metrics) and /healthz over HTTP.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { registerPrometheus } from "@taurus/metrics";
import promClient from "prom-client";
import type { ChatRoom } from "./room";

export async function startHttp(
  room: ChatRoom,
  host: string,
  port: number,
): Promise<http.Server & { port: number }> {
  const registry = new promClient.Registry();
  promClient.collectDefaultMetrics({ register: registry });
  registerPrometheus(promClient, room.metrics, { registry });
  const server = http.createServer((req, res) => {
    if (req.method === "GET" && req.url === "/metrics") {
      registry.metrics().then(
        (text) => {
          res.writeHead(200, { "content-type": registry.contentType });
          res.end(text);
        },
        (err: unknown) => {
          res.writeHead(500, { "content-type": "text/plain" });
          res.end(String(err));
        },
      );
      return;
    }
    if (req.method === "GET" && req.url === "/healthz") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ status: "ok", connections: room.connectionCount }));
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
