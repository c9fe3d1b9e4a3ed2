import { TaurusError } from "@taurus/core-conn";
import { describe, expect, it } from "vitest";
import { ClientMetrics } from "./client-metrics";
import { ServerMetrics } from "./server-metrics";

const GO_KEYS = [
  "uptime",
  "total_connections",
  "current_connections",
  "connection_refused",
  "messages_received",
  "messages_sent",
  "bytes_received",
  "bytes_sent",
  "total_errors",
  "last_latency_ns",
];

function fakeClock(start = 5000) {
  const clock = { t: start, now: () => clock.t };
  return clock;
}

describe("ServerMetrics", () => {
  it("has every key of the Go original, and the extra ones", () => {
    const snapshot = new ServerMetrics().snapshot();
    for (const key of GO_KEYS) expect(snapshot).toHaveProperty(key);
    for (const key of ["errors_by_kind", "errors_by_code", "handler_latency", "send_queue_depth"]) {
      expect(snapshot).toHaveProperty(key);
    }
    expect(typeof snapshot.uptime).toBe("number");
  });

  it("counts connections, messages and bytes", () => {
    const m = new ServerMetrics();
    m.connectionOpened();
    m.connectionOpened();
    m.connectionOpened();
    m.connectionClosed();
    m.connectionRefused();
    m.messageReceived(100);
    m.messageReceived(28);
    m.messageSent(64);
    m.sendQueueDepth.set(7);
    const s = m.snapshot();
    expect(s).toMatchObject({
      total_connections: 3,
      current_connections: 2,
      connection_refused: 1,
      messages_received: 2,
      bytes_received: 128,
      messages_sent: 1,
      bytes_sent: 64,
      total_errors: 0,
      send_queue_depth: 7,
    });
  });

  it("reports uptime in seconds from the injected clock", () => {
    const clock = fakeClock();
    const m = new ServerMetrics({ now: clock.now });
    expect(m.snapshot().uptime).toBe(0);
    clock.t += 90_500;
    expect(m.uptime).toBe(90.5);
    expect(m.snapshot().uptime).toBe(90.5);
  });

  it("records handler latency and the last latency", () => {
    const m = new ServerMetrics();
    expect(m.snapshot().handler_latency).toEqual({
      count: 0,
      sum_ns: 0,
      p50_ns: 0,
      p99_ns: 0,
      max_ns: 0,
    });
    for (let i = 1; i <= 100; i++) m.handlerLatency(i * 10_000);
    m.handlerLatency(5_000);
    const s = m.snapshot();
    expect(s.last_latency_ns).toBe(5_000);
    expect(m.lastLatencyNs).toBe(5_000);
    expect(s.handler_latency.count).toBe(101);
    expect(s.handler_latency.sum_ns).toBe(50_505_000);
    expect(s.handler_latency.max_ns).toBe(1_000_000);
    expect(Math.abs(s.handler_latency.p50_ns - 500_000)).toBeLessThanOrEqual(500_000 / 16);
    expect(Math.abs(s.handler_latency.p99_ns - 990_000)).toBeLessThanOrEqual(990_000 / 16);
  });

  it("counts errors by kind and by code", () => {
    const m = new ServerMetrics();
    m.error("protocol", "CHECKSUM");
    m.error("protocol", "CHECKSUM");
    m.error("buffer", "SEND_QUEUE_FULL");
    m.error("connection", "IDLE_TIMEOUT");
    m.error("system", "SOCKET");
    const s = m.snapshot();
    expect(s.total_errors).toBe(5);
    expect(s.errors_by_kind).toEqual({ connection: 1, protocol: 2, system: 1, buffer: 1 });
    expect(s.errors_by_code).toEqual({
      CHECKSUM: 2,
      SEND_QUEUE_FULL: 1,
      IDLE_TIMEOUT: 1,
      SOCKET: 1,
    });
  });

  it("caps distinct error codes, counting the rest as other", () => {
    const m = new ServerMetrics();
    for (let i = 0; i < 1000; i++) m.error("system", `CODE_${i % 200}`);
    const codes = m.snapshot().errors_by_code;
    expect(Object.keys(codes)).toHaveLength(65);
    expect(codes.CODE_0).toBe(5);
    expect(codes.CODE_63).toBe(5);
    expect(codes.CODE_64).toBeUndefined();
    expect(codes.other).toBe(1000 - 64 * 5);
    expect(m.snapshot().total_errors).toBe(1000);
  });

  it("honours maxErrorCodes, and handles odd codes", () => {
    const m = new ServerMetrics({ maxErrorCodes: 2 });
    m.error("system", "__proto__");
    m.error("system", "other");
    m.error("system", "B");
    m.error("system", "C");
    const codes = m.snapshot().errors_by_code;
    expect(Object.keys(codes).sort()).toEqual(["B", "__proto__", "other"]);
    expect(codes.other).toBe(2);
    expect(Object.getPrototypeOf(codes)).toBe(Object.prototype);
  });

  it("returns independent snapshots", () => {
    const m = new ServerMetrics();
    m.error("protocol", "CHECKSUM");
    const before = m.snapshot();
    m.error("protocol", "CHECKSUM");
    expect(before.errors_by_code.CHECKSUM).toBe(1);
    expect(before.errors_by_kind.protocol).toBe(1);
  });

  it("validates options, naming the option", () => {
    for (const [options, option] of [
      [{ maxErrorCodes: -1 }, "maxErrorCodes"],
      [{ maxErrorCodes: 1.5 }, "maxErrorCodes"],
      [{ now: 3 as unknown as () => number }, "now"],
    ] as const) {
      try {
        new ServerMetrics(options);
        expect.unreachable();
      } catch (err) {
        expect(err).toBeInstanceOf(TaurusError);
        expect((err as TaurusError).code).toBe("INVALID_OPTION");
        expect((err as TaurusError).option).toBe(option);
      }
    }
  });
});

describe("ClientMetrics", () => {
  it("is the message, byte, error and uptime subset", () => {
    const clock = fakeClock();
    const m = new ClientMetrics({ now: clock.now });
    m.messageSent(10);
    m.messageReceived(20);
    m.error("connection", "CONNECT_TIMEOUT");
    clock.t += 2000;
    expect(m.snapshot()).toEqual({
      uptime: 2,
      messages_received: 1,
      messages_sent: 1,
      bytes_received: 20,
      bytes_sent: 10,
      total_errors: 1,
      errors_by_kind: { connection: 1, protocol: 0, system: 0, buffer: 0 },
      errors_by_code: { CONNECT_TIMEOUT: 1 },
    });
  });
});
