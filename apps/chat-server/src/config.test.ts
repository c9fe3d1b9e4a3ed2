import { describe, expect, it } from "vitest";
import { ConfigError, duration, parseConfig, usage } from "./config";

describe("chat-server configuration", () => {
  it("has the Go chat's defaults, and limits that survive hostile peers", () => {
    expect(parseConfig([], {})).toEqual({
      host: "0.0.0.0",
      jsonPort: 8080,
      binaryPort: 8081,
      metricsPort: 9090,
      maxConnections: 1000,
      rateLimit: 100,
      idleTimeout: 30 * 60 * 1000,
      // 64 KiB, not the Go chat's 1 MiB: 2 x 1000 peers at their limits fit the memory budget.
      maxMessageSize: 65536,
      logLevel: "info",
      logFormat: "auto",
      workers: 0,
      redis: "",
      maxConnectionsPerAddress: 32,
      connectionRatePerAddress: 10,
      messageRatePerAddress: 200,
      trustedProxies: ["127.0.0.1", "::1"],
      // 2 x 1000 peers at 320 KiB each at most (64 KiB frames).
      memoryBudget: 640 * 1024 * 1024,
      sendQueueBytes: 64 * 1024,
      // Sessions on: a user away keeps name, rooms and what is said meanwhile for 2 min.
      resumeWindow: 120_000,
      writeTimeout: 5000,
      frameTimeout: 10_000,
      noticeInterval: 1000,
      logInterval: 10_000,
      inboundBytesPerSecond: 1024 * 1024,
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

  it("reads the per-address limits, sizes and address lists", () => {
    const config = parseConfig(
      [
        "--max-connections-per-address",
        "inf",
        "--memory-budget",
        "64MiB",
        "--trusted-proxies",
        "10.0.0.0/8, fd00::/8",
      ],
      {
        CHAT_MESSAGE_RATE_PER_ADDRESS: "50",
        CHAT_WRITE_TIMEOUT: "2s",
        CHAT_INBOUND_BYTES_PER_SECOND: "inf",
      },
    );
    expect(config).toMatchObject({
      maxConnectionsPerAddress: Number.POSITIVE_INFINITY,
      memoryBudget: 64 * 1024 * 1024,
      trustedProxies: ["10.0.0.0/8", "fd00::/8"],
      messageRatePerAddress: 50,
      writeTimeout: 2000,
      inboundBytesPerSecond: Number.POSITIVE_INFINITY,
    });
    expect(parseConfig(["--trusted-proxies", ""], {})).toMatchObject({ trustedProxies: [] });
    expect(parseConfig([], { CHAT_RESUME_WINDOW: "0" })).toMatchObject({ resumeWindow: 0 });
    expect(() => parseConfig(["--memory-budget", "lots"], {})).toThrow(/--memory-budget/);
    expect(() => parseConfig(["--trusted-proxies", "my-proxy"], {})).toThrow(/--trusted-proxies/);
    expect(() => parseConfig([], { CHAT_LOG_INTERVAL: "0" })).toThrow(/--log-interval/);
    // The error names what the user wrote: the environment variable, or the flag over it.
    expect(() => parseConfig([], { CHAT_LOG_INTERVAL: "0" })).toThrow(/^CHAT_LOG_INTERVAL /);
    expect(() => parseConfig(["--log-interval", "0"], { CHAT_LOG_INTERVAL: "1s" })).toThrow(
      /^--log-interval: /,
    );
    for (const flag of [
      "--max-connections-per-address",
      "--connection-rate-per-address",
      "--message-rate-per-address",
      "--trusted-proxies",
      "--memory-budget",
      "--write-timeout",
      "--frame-timeout",
      "--notice-interval",
      "--log-interval",
      "--inbound-bytes-per-second",
    ]) {
      expect(usage()).toContain(flag);
    }
    expect(usage()).toContain("CHAT_TRUSTED_PROXIES");
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
