import net from "node:net";
import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from "@opentelemetry/sdk-metrics";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { createClient } from "@taurus/client";
import { until } from "@taurus/core-conn/testing";
import { type BinaryMessage, createBinaryProtocol } from "@taurus/protocol-binary";
import { createServer, reply } from "@taurus/server";
import { afterEach, describe, expect, it } from "vitest";
import { TaurusInstrumentation } from "./instrumentation";

const binary = createBinaryProtocol();
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

const msg = (type: number, text: string): BinaryMessage => ({
  version: 1,
  type,
  sequence: 0,
  data: Buffer.from(text),
});

function setUp() {
  const spans = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(spans)],
  });
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const meterProvider = new MeterProvider({ readers: [reader] });
  const instrumentation = new TaurusInstrumentation({ tracerProvider, meterProvider });
  instrumentation.enable();
  cleanups.push(async () => {
    instrumentation.disable();
    await meterProvider.shutdown();
    await tracerProvider.shutdown();
  });
  /** Every data point of `name` as [attributes, value]. */
  const points = async (name: string): Promise<Array<[Record<string, unknown>, unknown]>> => {
    exporter.reset();
    await meterProvider.forceFlush();
    const found = exporter
      .getMetrics()
      .flatMap((r) => r.scopeMetrics)
      .flatMap((s) => s.metrics)
      .filter((m) => m.descriptor.name === name);
    return found.flatMap((m) =>
      m.dataPoints.map((p): [Record<string, unknown>, unknown] => [p.attributes, p.value]),
    );
  };
  return { spans, points, instrumentation };
}

async function start(handler: Parameters<typeof createServer<BinaryMessage>>[0]["handler"]) {
  const server = createServer({ protocol: binary, rateLimit: Infinity, handler });
  const { port } = await server.listen(0, "127.0.0.1");
  cleanups.push(() => server.close());
  const client = createClient({ address: `127.0.0.1:${port}`, protocol: binary });
  cleanups.push(() => client.close());
  await client.connect();
  return { server, client, port };
}

describe("TaurusInstrumentation", () => {
  it("makes a CLIENT span per request and a SERVER span per onMessage, with durations", async () => {
    const { spans, points } = setUp();
    const { client, port } = await start({
      onMessage: async (m, conn) => {
        if (m.type === 2) reply(conn, m, msg(3, "pong"));
        if (m.type === 9) throw new Error("handler broke");
      },
    });
    const answer = await client.request(msg(2, "ping"));
    expect(answer.type).toBe(3);
    const failed = await client.request(msg(9, "boom"), { timeout: 50 }).catch((e: unknown) => e);
    expect((failed as { code?: string }).code).toBe("REQUEST_TIMEOUT");

    const finished = spans.getFinishedSpans();
    const requests = finished.filter((s) => s.name === "taurus.request");
    const messages = finished.filter((s) => s.name === "taurus.message");
    expect(requests).toHaveLength(2);
    expect(messages).toHaveLength(2);
    expect(requests[0]?.kind).toBe(SpanKind.CLIENT);
    expect(requests[0]?.attributes).toMatchObject({
      "server.address": "127.0.0.1",
      "server.port": port,
      "taurus.protocol": binary.name,
    });
    expect(requests[0]?.status.code).not.toBe(SpanStatusCode.ERROR);
    expect(requests[1]?.status.code).toBe(SpanStatusCode.ERROR);
    expect(requests[1]?.attributes["error.type"]).toBe("REQUEST_TIMEOUT");
    expect(messages[0]?.kind).toBe(SpanKind.SERVER);
    expect(messages[0]?.attributes["network.peer.address"]).toBe("127.0.0.1");
    expect(messages[1]?.status.code).toBe(SpanStatusCode.ERROR);
    expect(messages[1]?.events.map((e) => e.name)).toContain("exception");

    const requestDurations = await points("taurus.client.request.duration");
    expect(requestDurations.map(([a]) => a)).toEqual([{}, { "error.type": "REQUEST_TIMEOUT" }]);
    const handled = await points("taurus.server.message.duration");
    expect(handled.map(([a]) => a)).toEqual([{}, { "error.type": "Error" }]);
  });

  it("counts connections opened, active and closed by reason, drops and refusals", async () => {
    const { points } = setUp();
    const { server, client, port } = await start({ onMessage: () => {} });
    // One legitimate client (above) and a peer that sends garbage from another address.
    const bad = net.connect({ host: "127.0.0.1", port, localAddress: "127.0.0.2" });
    cleanups.push(() => bad.destroy());
    await new Promise((resolve) => bad.once("connect", resolve));
    bad.write(Buffer.from("this is not a frame"));
    await until(async () => (await points("taurus.frame.dropped")).length > 0);
    expect((await points("taurus.frame.dropped"))[0]?.[0]).toEqual({
      "taurus.drop.reason": "invalid_format",
    });
    // 2 connections on the server side, 1 on the client side.
    expect(await points("taurus.connection.active")).toEqual([[{}, 3]]);
    await client.close();
    bad.destroy();
    await until(async () => (await points("taurus.connection.active"))[0]?.[1] === 0);
    expect(await points("taurus.connection.opened")).toEqual([[{}, 3]]);
    const closed = await points("taurus.connection.closed");
    const total = closed.reduce((n, [, v]) => n + Number(v), 0);
    expect(total).toBe(3);
    expect(closed.map(([a]) => a["taurus.close.reason"])).toContain("NORMAL");
    expect(server.connectionCount).toBe(0);
  });

  it("counts refusals and reconnects, and stops observing once disabled", async () => {
    const { points, instrumentation } = setUp();
    const server = createServer({ protocol: binary, rateLimit: Infinity, maxConnections: 1 });
    const { port } = await server.listen(0, "127.0.0.1");
    cleanups.push(() => server.close());
    const legit = createClient({ address: `127.0.0.1:${port}`, protocol: binary });
    cleanups.push(() => legit.close());
    await legit.connect();
    await until(async () => server.connectionCount === 1);
    const attacker = createClient({
      address: `127.0.0.1:${port}`,
      protocol: binary,
      retryDelay: 10,
      maxRetryDelay: 20,
      connect: ({ host, port: p }) => net.connect({ host, port: p, localAddress: "127.0.0.3" }),
    });
    cleanups.push(() => attacker.close());
    void attacker.connect().catch(() => {});
    await until(async () => (await points("taurus.client.reconnects")).length > 0);
    expect((await points("taurus.server.refused"))[0]?.[0]).toEqual({
      "error.type": "CONNECTION_LIMIT",
    });
    expect(legit.state).toBe("connected");
    instrumentation.disable();
    expect(instrumentation.enabled).toBe(false);
    const before = await points("taurus.server.refused");
    await attacker.close();
    legit.send(msg(1, "still served"));
    expect(await points("taurus.server.refused")).toEqual(before);
  });

  it("is disposable", () => {
    const instrumentation = new TaurusInstrumentation();
    {
      using enabled = instrumentation;
      enabled.enable();
      expect(instrumentation.enabled).toBe(true);
    }
    expect(instrumentation.enabled).toBe(false);
  });
});
