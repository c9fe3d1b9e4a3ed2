import { TaurusError } from "@taurus/core-conn";
import * as promClient from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { ClientMetrics } from "./client-metrics";
import { registerPrometheus } from "./prometheus";
import { ServerMetrics } from "./server-metrics";

function fakeClock(start = 0) {
  const clock = { t: start, now: () => clock.t };
  return clock;
}

function optionOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(TaurusError);
    expect((err as TaurusError).code).toBe("INVALID_OPTION");
    return (err as TaurusError).option;
  }
  throw new Error("expected a throw");
}

function busyServer(): { metrics: ServerMetrics; clock: { t: number } } {
  const clock = fakeClock();
  const metrics = new ServerMetrics({ now: clock.now });
  metrics.connectionOpened();
  metrics.connectionOpened();
  metrics.connectionClosed();
  metrics.connectionRefused();
  metrics.messageReceived(100);
  metrics.messageSent(40);
  metrics.messageSent(2);
  metrics.error("protocol", "CHECKSUM");
  metrics.error("buffer", "SEND_QUEUE_FULL");
  metrics.error("buffer", "SEND_QUEUE_FULL");
  metrics.sendQueueDepth.set(3);
  for (let i = 0; i < 100; i++) metrics.handlerLatency(2_000_000); // 2 ms
  clock.t += 12_000;
  return { metrics, clock };
}

describe("registerPrometheus", () => {
  afterEach(() => {
    promClient.register.clear();
  });

  it("exposes every server metric, with collectDefaultMetrics on the same registry", async () => {
    const registry = new promClient.Registry();
    promClient.collectDefaultMetrics({ register: registry });
    const { metrics } = busyServer();
    registerPrometheus(promClient, metrics, { registry });
    const text = await registry.metrics();

    expect(text).toContain("process_cpu_user_seconds_total");
    expect(text).toContain("nodejs_eventloop_lag_seconds");
    expect(text).toContain("# TYPE taurus_connections_total counter");
    expect(text).toContain("\ntaurus_connections_total 2\n");
    expect(text).toContain("\ntaurus_connections_current 1\n");
    expect(text).toContain("\ntaurus_connections_refused_total 1\n");
    expect(text).toContain("\ntaurus_messages_received_total 1\n");
    expect(text).toContain("\ntaurus_messages_sent_total 2\n");
    expect(text).toContain("\ntaurus_received_bytes_total 100\n");
    expect(text).toContain("\ntaurus_sent_bytes_total 42\n");
    expect(text).toContain('\ntaurus_errors_total{kind="protocol"} 1\n');
    expect(text).toContain('\ntaurus_errors_total{kind="buffer"} 2\n');
    expect(text).toContain('\ntaurus_errors_total{kind="connection"} 0\n');
    expect(text).toContain('\ntaurus_error_codes_total{code="SEND_QUEUE_FULL"} 2\n');
    expect(text).toContain('\ntaurus_error_codes_total{code="CHECKSUM"} 1\n');
    expect(text).toContain("\ntaurus_send_queue_depth 3\n");
    expect(text).toContain("\ntaurus_uptime_seconds 12\n");
    expect(text).toContain("\ntaurus_last_latency_seconds 0.002\n");
    expect(text).toContain("# TYPE taurus_handler_latency_seconds gauge");
    expect(text).toContain('\ntaurus_handler_latency_seconds{quantile="0.5"} 0.002\n');
    expect(text).toContain('\ntaurus_handler_latency_seconds{quantile="0.99"} 0.002\n');
    expect(text).toContain('\ntaurus_handler_latency_seconds{quantile="1"} 0.002\n');
    expect(text).toContain("\ntaurus_handler_latency_observations_total 100\n");
    expect(text).toContain("\ntaurus_handler_latency_seconds_total 0.2\n");
  });

  it("reads live values at every scrape", async () => {
    const registry = new promClient.Registry();
    const { metrics, clock } = busyServer();
    registerPrometheus(promClient, metrics, { registry });
    await registry.metrics();
    metrics.messageReceived(1);
    metrics.error("protocol", "CHECKSUM");
    clock.t += 1000;
    const text = await registry.metrics();
    expect(text).toContain("\ntaurus_messages_received_total 2\n");
    expect(text).toContain('\ntaurus_error_codes_total{code="CHECKSUM"} 2\n');
    expect(text).toContain("\ntaurus_uptime_seconds 13\n");
  });

  it("applies prefix and constant labels", async () => {
    const registry = new promClient.Registry();
    const { metrics } = busyServer();
    registerPrometheus(promClient, metrics, {
      registry,
      prefix: "chat_",
      labels: { server: "eu-1" },
    });
    const text = await registry.metrics();
    expect(text).toContain('\nchat_connections_total{server="eu-1"} 2\n');
    expect(text).toContain('\nchat_errors_total{server="eu-1",kind="buffer"} 2\n');
    expect(text).toContain('\nchat_handler_latency_seconds{server="eu-1",quantile="0.99"} 0.002\n');
    expect(text).not.toContain("taurus_");
  });

  it("uses the module's global registry by default", async () => {
    registerPrometheus(promClient, new ServerMetrics());
    expect(await promClient.register.metrics()).toContain("\ntaurus_connections_total 0\n");
  });

  it("exposes the client subset for ClientMetrics", async () => {
    const registry = new promClient.Registry();
    const metrics = new ClientMetrics();
    metrics.messageSent(5);
    registerPrometheus(promClient, metrics, { registry });
    const text = await registry.metrics();
    expect(text).toContain("\ntaurus_messages_sent_total 1\n");
    expect(text).toContain("\ntaurus_sent_bytes_total 5\n");
    expect(text).not.toContain("taurus_connections_total");
    expect(text).not.toContain("taurus_handler_latency");
  });

  it("unregisters, idempotently, and can register again", async () => {
    const registry = new promClient.Registry();
    promClient.collectDefaultMetrics({ register: registry });
    const metrics = new ServerMetrics();
    const unregister = registerPrometheus(promClient, metrics, { registry });
    unregister();
    unregister();
    const text = await registry.metrics();
    expect(text).not.toContain("taurus_");
    expect(text).toContain("process_cpu_user_seconds_total");
    registerPrometheus(promClient, metrics, { registry });
    expect(await registry.metrics()).toContain("taurus_connections_total");
  });

  it("refuses a name another metric holds, registering nothing", async () => {
    const registry = new promClient.Registry();
    new promClient.Gauge({
      name: "taurus_uptime_seconds",
      help: "someone else's",
      registers: [registry],
    });
    const before = registry.getMetricsAsArray().length;
    expect(optionOf(() => registerPrometheus(promClient, new ServerMetrics(), { registry }))).toBe(
      "prefix",
    );
    expect(registry.getMetricsAsArray().length).toBe(before);
    registerPrometheus(promClient, new ServerMetrics(), { registry, prefix: "other_" });
    expect(await registry.metrics()).toContain("\nother_connections_total 0\n");
  });

  it("shares a prefix between sources told apart by their label values", async () => {
    const registry = new promClient.Registry();
    const json = busyServer().metrics;
    const binary = new ServerMetrics();
    binary.messageReceived(7);
    const client = new ClientMetrics();
    client.messageSent(3);
    registerPrometheus(promClient, json, { registry, labels: { protocol: "json" } });
    const offBinary = registerPrometheus(promClient, binary, {
      registry,
      labels: { protocol: "binary" },
    });
    registerPrometheus(promClient, client, { registry, labels: { protocol: "client" } });
    let text = await registry.metrics();
    expect(text).toContain('\ntaurus_messages_received_total{protocol="json"} 1\n');
    expect(text).toContain('\ntaurus_received_bytes_total{protocol="binary"} 7\n');
    expect(text).toContain('\ntaurus_sent_bytes_total{protocol="client"} 3\n');
    expect(text).toContain('\ntaurus_errors_total{protocol="json",kind="buffer"} 2\n');
    expect(text).toContain('\ntaurus_errors_total{protocol="binary",kind="buffer"} 0\n');
    expect(text).toContain('\ntaurus_connections_total{protocol="binary"} 0\n');
    // Server-only metrics carry no client series.
    expect(text).not.toContain('taurus_connections_total{protocol="client"}');
    expect(text.match(/# TYPE taurus_messages_received_total counter/g)).toHaveLength(1);

    offBinary();
    text = await registry.metrics();
    expect(text).not.toContain('protocol="binary"');
    expect(text).toContain('\ntaurus_messages_received_total{protocol="json"} 1\n');
  });

  it("refuses a source that cannot be told apart, or labelled differently, registering nothing", () => {
    const registry = new promClient.Registry();
    registerPrometheus(promClient, new ServerMetrics(), { registry, labels: { protocol: "json" } });
    const before = registry.getMetricsAsArray().length;
    const again = () =>
      registerPrometheus(promClient, new ServerMetrics(), {
        registry,
        labels: { protocol: "json" },
      });
    expect(optionOf(again)).toBe("labels");
    const otherNames = () =>
      registerPrometheus(promClient, new ClientMetrics(), { registry, labels: { client: "a" } });
    expect(optionOf(otherNames)).toBe("labels");
    expect(optionOf(() => registerPrometheus(promClient, new ServerMetrics(), { registry }))).toBe(
      "labels",
    );
    expect(registry.getMetricsAsArray().length).toBe(before);
  });

  it("unregisters the last source's metrics, not the ones others still feed", async () => {
    const registry = new promClient.Registry();
    const offA = registerPrometheus(promClient, new ServerMetrics(), {
      registry,
      labels: { server: "a" },
    });
    const offB = registerPrometheus(promClient, new ClientMetrics(), {
      registry,
      labels: { server: "b" },
    });
    offA();
    let text = await registry.metrics();
    expect(text).not.toContain("taurus_connections_total");
    expect(text).toContain('\ntaurus_messages_sent_total{server="b"} 0\n');
    offB();
    text = await registry.metrics();
    expect(text).not.toContain("taurus_");
  });

  it("validates prefix and labels", () => {
    const registry = new promClient.Registry();
    const metrics = new ServerMetrics();
    expect(
      optionOf(() => registerPrometheus(promClient, metrics, { registry, prefix: "9x" })),
    ).toBe("prefix");
    expect(
      optionOf(() => registerPrometheus(promClient, metrics, { registry, labels: { kind: "x" } })),
    ).toBe("labels");
    expect(
      optionOf(() => registerPrometheus(promClient, metrics, { registry, labels: { "a-b": "x" } })),
    ).toBe("labels");
    expect(
      optionOf(() =>
        registerPrometheus(promClient, metrics, {
          registry,
          labels: { a: 1 as unknown as string },
        }),
      ),
    ).toBe("labels");
    expect(registry.getMetricsAsArray()).toHaveLength(0);
  });

  it("does not mutate the options object", () => {
    const registry = new promClient.Registry();
    const options = Object.freeze({ registry, labels: Object.freeze({ a: "b" }) });
    registerPrometheus(promClient, new ServerMetrics(), options);
    expect(options.labels).toEqual({ a: "b" });
  });
});
