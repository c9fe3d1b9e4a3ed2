import { describe, expect, it } from "vitest";
import { ConfigError, duration, parseConfig, usage } from "./config";

describe("chat-server configuration", () => {
  it("has the Go chat's defaults", () => {
    expect(parseConfig([], {})).toEqual({
      host: "0.0.0.0",
      jsonPort: 8080,
      binaryPort: 8081,
      metricsPort: 9090,
      maxConnections: 1000,
      rateLimit: 100,
      idleTimeout: 30 * 60 * 1000,
      maxMessageSize: 1048576,
      logLevel: "info",
      workers: 0,
      redis: "",
      metricsHost: "127.0.0.1",
      redisMode: "pubsub",
      redisMaxLen: 10_000,
      shutdownTimeout: 10_000,
      restartDelay: 200,
      restartMaxDelay: 30_000,
      crashLimit: 5,
      crashWindow: 60_000,
      relayMaxBytes: 8 * 2 ** 20,
      relayMaxMessages: 10_000,
    });
  });

  it("takes flags over environment variables over defaults", () => {
    const config = parseConfig(["--json-port", "9000", "--idle-timeout=10s"], {
      CHAT_JSON_PORT: "7000",
      CHAT_BINARY_PORT: "7001",
      CHAT_LOG_LEVEL: "debug",
    });
    expect(config).toMatchObject({
      jsonPort: 9000,
      binaryPort: 7001,
      idleTimeout: 10_000,
      logLevel: "debug",
    });
  });

  it("refuses bad values, naming the flag", () => {
    expect(() => parseConfig(["--json-port", "70000"], {})).toThrow(/--json-port/);
    expect(() => parseConfig(["--log-level", "loud"], {})).toThrow(ConfigError);
    expect(() => parseConfig(["--nope"], {})).toThrow(ConfigError);
    expect(() => parseConfig([], { CHAT_RATE_LIMIT: "-1" })).toThrow(/--rate-limit/);
    expect(() => parseConfig(["--workers", "-2"], {})).toThrow(/--workers/);
    expect(() => parseConfig(["--redis", "http://x"], {})).toThrow(/--redis/);
  });

  it("reads --workers and --redis", () => {
    expect(parseConfig(["--workers", "4"], { CHAT_REDIS: "redis://10.0.0.5:6379" })).toMatchObject({
      workers: 4,
      redis: "redis://10.0.0.5:6379",
    });
  });

  it("reads the scale-out settings, and refuses a Redis mode it does not know", () => {
    const config = parseConfig(
      ["--redis-mode", "streams", "--shutdown-timeout", "3s", "--crash-limit", "2"],
      { CHAT_METRICS_HOST: "0.0.0.0", CHAT_RESTART_DELAY: "1s", CHAT_RELAY_MAX_BYTES: "1024" },
    );
    expect(config).toMatchObject({
      redisMode: "streams",
      shutdownTimeout: 3000,
      crashLimit: 2,
      metricsHost: "0.0.0.0",
      restartDelay: 1000,
      relayMaxBytes: 1024,
    });
    expect(() => parseConfig(["--redis-mode", "kafka"], {})).toThrow(/--redis-mode/);
    expect(() => parseConfig(["--crash-limit", "0"], {})).toThrow(/--crash-limit/);
    for (const flag of ["--metrics-host", "--redis-mode", "--shutdown-timeout", "--crash-window"]) {
      expect(usage()).toContain(flag);
    }
  });

  it("reads durations with units", () => {
    expect(duration("500ms")).toBe(500);
    expect(duration("2m")).toBe(120_000);
    expect(duration("1h")).toBe(3_600_000);
    expect(duration("0")).toBe(0);
    expect(() => duration("soon")).toThrow(ConfigError);
  });

  it("answers --help with every flag", () => {
    expect(parseConfig(["--help"], {})).toBe("help");
    for (const flag of [
      "--host",
      "--json-port",
      "--binary-port",
      "--metrics-port",
      "--log-level",
      "--workers",
      "--redis",
    ]) {
      expect(usage()).toContain(flag);
    }
  });
});
