// The HTTP endpoints under attack: an attacker on 127.0.0.2, a scraper on 127.0.0.3.
import http from "node:http";
import net from "node:net";
import promClient from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { HTTP_LIMITS, type HttpLimits, type HttpSource, startHttp, stopHttp } from "./http";
import { createLogger } from "./logger";

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

const quiet = createLogger("error", () => {});

/** A source whose scrape costs `cost` ms of CPU, counting scrapes. */
function costlySource(cost: number, ready = true) {
  const registry = new promClient.Registry();
  const counts = { scrapes: 0, refreshes: 0 };
  new promClient.Gauge({
    name: "costly",
    help: "burns CPU on every collect",
    registers: [registry],
    collect() {
      counts.scrapes++;
      const until = Date.now() + cost;
      while (Date.now() < until) {
        // a scrape that costs CPU, as a big registry does
      }
      this.set(counts.scrapes);
    },
  });
  const source: HttpSource = {
    registry,
    refresh: async () => {
      counts.refreshes++;
    },
    readiness: async () => ({
      ready,
      detail: { status: ready ? "ready" : "not ready", reasons: ready ? [] : ["test"] },
    }),
  };
  return { source, counts };
}

async function serve(source: HttpSource, limits: Partial<HttpLimits> = {}) {
  const server = await startHttp(source, "127.0.0.1", 0, quiet, { ...HTTP_LIMITS, ...limits });
  cleanups.push(() => stopHttp(server));
  return server;
}

/** GET `path` from `localAddress`; resolves with the status, body and ms taken. */
function get(
  port: number,
  path: string,
  localAddress = "127.0.0.3",
  method = "GET",
): Promise<{ status: number; body: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: "127.0.0.1", port, path, localAddress, method, agent: false },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          body += chunk;
        });
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, body, ms: Date.now() - started }),
        );
      },
    );
    req.on("error", reject);
    req.end();
  });
}

function closed(socket: net.Socket, timeout = 10_000): Promise<void> {
  if (socket.destroyed) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("socket not closed in time")), timeout);
    socket.once("close", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

function connect(port: number, localAddress: string): Promise<net.Socket> {
  const socket = net.connect({ host: "127.0.0.1", port, localAddress });
  socket.on("error", () => {});
  socket.resume(); // reads (and drops) what comes, so that a close is seen
  cleanups.push(() => socket.destroy());
  return new Promise((resolve) => {
    socket.once("connect", () => resolve(socket));
    socket.once("close", () => resolve(socket));
  });
}

describe("metrics and health endpoints", () => {
  it("an attacker holding connections and flooding /metrics from 127.0.0.2 does not keep a scraper on 127.0.0.3 from being served", async () => {
    const { source, counts } = costlySource(20);
    const server = await serve(source);
    // The attacker opens 40 connections: only maxPerAddress are kept.
    const attackers = await Promise.all(
      Array.from({ length: 40 }, () => connect(server.port, "127.0.0.2")),
    );
    let responses = 0;
    const request = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n".repeat(20);
    for (const s of attackers) {
      if (s.destroyed) continue;
      s.on("data", (chunk: Buffer) => {
        const n = chunk.toString("latin1").split("HTTP/1.1 200").length - 1;
        responses += n;
        if (n > 0 && !s.destroyed) s.write(request);
      });
      s.write(request);
    }
    const started = Date.now();
    const scrapes: number[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await get(server.port, "/metrics");
      expect(r.status).toBe(200);
      expect(r.body).toContain("costly");
      scrapes.push(r.ms);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const elapsed = Date.now() - started;
    const held = attackers.filter((s) => !s.destroyed).length;
    expect(held).toBeLessThanOrEqual(HTTP_LIMITS.maxPerAddress);
    expect(server.refused()).toBeGreaterThanOrEqual(40 - HTTP_LIMITS.maxPerAddress);
    expect(responses).toBeGreaterThan(50); // the flood was served, from the cache
    // One scrape at a time, reused for a second: the flood cost a handful of scrapes, not one each.
    expect(counts.scrapes).toBeLessThanOrEqual(Math.ceil(elapsed / HTTP_LIMITS.metricsCache) + 2);
    // The scraper waited at most for one scrape in progress, never behind the flood.
    expect(Math.max(...scrapes)).toBeLessThan(2000);
  }, 30_000);

  it("closes silent, slow-header and idle kept-alive connections, and serves the others", async () => {
    const { source } = costlySource(0);
    const server = await serve(source, {
      headersTimeout: 300,
      requestTimeout: 600,
      keepAliveTimeout: 300,
      idleTimeout: 1000,
    });
    const silent = await connect(server.port, "127.0.0.2");
    const dripping = await connect(server.port, "127.0.0.2");
    const header = "GET /livez HTTP/1.1\r\nHost: x\r\nX-Slow: ";
    let sent = 0;
    const drip = setInterval(() => {
      if (!dripping.destroyed) dripping.write(header[sent++ % header.length] ?? "a");
    }, 50);
    cleanups.push(() => clearInterval(drip));
    const kept = await connect(server.port, "127.0.0.2");
    kept.write("GET /livez HTTP/1.1\r\nHost: x\r\n\r\n");
    await Promise.all([closed(silent), closed(dripping), closed(kept)]);
    expect((await get(server.port, "/livez")).status).toBe(200);
  }, 30_000);

  it("answers /livez always, /readyz and /healthz with the readiness, and refuses what it does not serve", async () => {
    const notReady = costlySource(0, false);
    const server = await serve(notReady.source);
    expect(await get(server.port, "/livez")).toMatchObject({
      status: 200,
      body: '{"status":"live"}',
    });
    for (const path of ["/readyz", "/healthz"]) {
      const r = await get(server.port, path);
      expect(r.status).toBe(503);
      expect(JSON.parse(r.body)).toEqual({ status: "not ready", reasons: ["test"] });
    }
    expect((await get(server.port, "/nope")).status).toBe(404);
    expect((await get(server.port, "/metrics", "127.0.0.3", "POST")).status).toBe(405);
  });
});
