// Command-line flags and environment variables of chat-server.
import { parseArgs } from "node:util";
import { LEVELS, type Level } from "./logger";

export interface Config {
  host: string;
  jsonPort: number;
  binaryPort: number;
  metricsPort: number;
  maxConnections: number;
  rateLimit: number;
  idleTimeout: number;
  maxMessageSize: number;
  logLevel: Level;
  /** Worker processes sharing the ports (node:cluster); 0 runs in this process. */
  workers: number;
  /** Redis URL of the backplane joining instances; "" for none. */
  redis: string;
  /** Address of the /metrics and health endpoints (their own, apart from the chat ports). */
  metricsHost: string;
  /** How the Redis backplane carries messages: pubsub, sharded or streams. */
  redisMode: RedisMode;
  /** Entries each channel's stream keeps in streams mode. */
  redisMaxLen: number;
  /** Ms a graceful shutdown waits for queues to drain before resetting what is left. */
  shutdownTimeout: number;
  /** Ms before a crashed worker is started again, doubled per recent crash. */
  restartDelay: number;
  /** Longest wait before starting a crashed worker again, in ms. */
  restartMaxDelay: number;
  /** Crashes of one worker within crashWindow after which the primary gives up and exits. */
  crashLimit: number;
  /** The window of crashLimit, in ms. */
  crashWindow: number;
  /** Bytes the primary's IPC relay holds for one worker before it drops (and counts) messages. */
  relayMaxBytes: number;
  /** Messages the primary's IPC relay holds for one worker before it drops (and counts) them. */
  relayMaxMessages: number;
}

/** The Redis backplane modes. */
export const REDIS_MODES = ["pubsub", "sharded", "streams"] as const;
export type RedisMode = (typeof REDIS_MODES)[number];

/** Each setting: its flag, its environment variable, its default, and how to read it. */
const SETTINGS = {
  host: { env: "CHAT_HOST", def: "0.0.0.0", help: "address to listen on", parse: (v: string) => v },
  "json-port": {
    env: "CHAT_JSON_PORT",
    def: "8080",
    help: "port of the JSON protocol",
    parse: port,
  },
  "binary-port": {
    env: "CHAT_BINARY_PORT",
    def: "8081",
    help: "port of the binary protocol",
    parse: port,
  },
  "metrics-port": {
    env: "CHAT_METRICS_PORT",
    def: "9090",
    help: "port of /metrics and /healthz over HTTP",
    parse: port,
  },
  "max-connections": {
    env: "CHAT_MAX_CONNECTIONS",
    def: "1000",
    help: "most connections per protocol",
    parse: positiveInt,
  },
  "rate-limit": {
    env: "CHAT_RATE_LIMIT",
    def: "100",
    help: "messages per second per connection",
    parse: positiveNumber,
  },
  "idle-timeout": {
    env: "CHAT_IDLE_TIMEOUT",
    def: "30m",
    help: "close connections idle this long (500ms, 10s, 30m, 1h; 0 disables)",
    parse: duration,
  },
  "max-message-size": {
    env: "CHAT_MAX_MESSAGE_SIZE",
    def: "1048576",
    help: "largest frame in bytes",
    parse: positiveInt,
  },
  "log-level": {
    env: "CHAT_LOG_LEVEL",
    def: "info",
    help: "debug, info, warn or error",
    parse: level,
  },
  workers: {
    env: "CHAT_WORKERS",
    def: "0",
    help: "worker processes sharing the ports (0: none, serve in this process)",
    parse: workerCount,
  },
  redis: {
    env: "CHAT_REDIS",
    def: "",
    help: "Redis URL (redis://host:port) joining rooms across instances and machines",
    parse: redisUrl,
  },
  "metrics-host": {
    env: "CHAT_METRICS_HOST",
    def: "127.0.0.1",
    help: "address of /metrics, /livez, /readyz and /healthz (0.0.0.0 to expose them)",
    parse: (v: string) => v,
  },
  "redis-mode": {
    env: "CHAT_REDIS_MODE",
    def: "pubsub",
    help: "pubsub (fast, at most once), sharded (Redis Cluster) or streams (durable, exactly once within --redis-max-len)",
    parse: redisMode,
  },
  "redis-max-len": {
    env: "CHAT_REDIS_MAX_LEN",
    def: "10000",
    help: "messages each room's stream keeps in streams mode",
    parse: positiveInt,
  },
  "shutdown-timeout": {
    env: "CHAT_SHUTDOWN_TIMEOUT",
    def: "10s",
    help: "how long a shutdown lets clients drain their queues before resetting them",
    parse: duration,
  },
  "restart-delay": {
    env: "CHAT_RESTART_DELAY",
    def: "200ms",
    help: "wait before restarting a crashed worker, doubled per recent crash (with jitter)",
    parse: duration,
  },
  "restart-max-delay": {
    env: "CHAT_RESTART_MAX_DELAY",
    def: "30s",
    help: "longest wait before restarting a crashed worker",
    parse: duration,
  },
  "crash-limit": {
    env: "CHAT_CRASH_LIMIT",
    def: "5",
    help: "crashes of one worker within --crash-window after which chat-server gives up and exits",
    parse: positiveInt,
  },
  "crash-window": {
    env: "CHAT_CRASH_WINDOW",
    def: "60s",
    help: "the window of --crash-limit",
    parse: duration,
  },
  "relay-max-bytes": {
    env: "CHAT_RELAY_MAX_BYTES",
    def: "8388608",
    help: "bytes the primary holds for one worker (no --redis) before dropping and counting",
    parse: positiveInt,
  },
  "relay-max-messages": {
    env: "CHAT_RELAY_MAX_MESSAGES",
    def: "10000",
    help: "messages the primary holds for one worker (no --redis) before dropping and counting",
    parse: positiveInt,
  },
} as const;

type Key = keyof typeof SETTINGS;

export class ConfigError extends Error {}

function port(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new ConfigError(`not a port: ${v}`);
  return n;
}

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 1) throw new ConfigError(`not a positive integer: ${v}`);
  return n;
}

function workerCount(v: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0 || n > 1024)
    throw new ConfigError(`not a worker count: ${v}`);
  return n;
}

function redisUrl(v: string): string {
  if (v === "") return v;
  if (!/^rediss?:\/\/[^\s]+$/.test(v)) throw new ConfigError(`not a redis:// URL: ${v}`);
  return v;
}

function redisMode(v: string): RedisMode {
  if (!(REDIS_MODES as readonly string[]).includes(v)) {
    throw new ConfigError(`not a Redis mode: ${v} (use ${REDIS_MODES.join(", ")})`);
  }
  return v as RedisMode;
}

function positiveNumber(v: string): number {
  const n = v === "inf" || v === "Infinity" ? Number.POSITIVE_INFINITY : Number(v);
  if (!(n > 0)) throw new ConfigError(`not a positive number: ${v}`);
  return n;
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A duration in milliseconds: `500ms`, `10s`, `30m`, `1h`, or a plain number of milliseconds. */
export function duration(v: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(v.trim());
  if (!match) throw new ConfigError(`not a duration: ${v} (use 500ms, 10s, 30m or 1h)`);
  const ms = Math.round(Number(match[1]) * (UNITS[match[2] ?? "ms"] ?? 1));
  if (ms > 2 ** 31 - 1) throw new ConfigError(`duration too long: ${v}`);
  return ms;
}

function level(v: string): Level {
  if (!(LEVELS as readonly string[]).includes(v)) throw new ConfigError(`not a log level: ${v}`);
  return v as Level;
}

export function usage(): string {
  const lines = Object.entries(SETTINGS).map(
    ([flag, s]) =>
      `  --${flag.padEnd(18)} ${s.help} (default ${s.def === "" ? "none" : s.def}; env ${s.env})`,
  );
  return [
    "Usage: chat-server [options]",
    "",
    "One chat room served over the JSON protocol and the binary protocol of taurus-pro-tcp.",
    "",
    "Options:",
    ...lines,
    "  --help               show this help",
    "",
  ].join("\n");
}

/** Reads flags (first), then environment variables, then defaults. Throws ConfigError on bad input. */
export function parseConfig(argv: string[], env: NodeJS.ProcessEnv): Config | "help" {
  const options = Object.fromEntries(
    Object.keys(SETTINGS).map((k) => [k, { type: "string" as const }]),
  ) as Record<Key, { type: "string" }>;
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { ...options, help: { type: "boolean" } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  if (values.help) return "help";
  const read = <K extends Key>(key: K): ReturnType<(typeof SETTINGS)[K]["parse"]> => {
    const s = SETTINGS[key];
    const raw = (values[key] as string | undefined) ?? env[s.env] ?? s.def;
    try {
      return s.parse(raw) as ReturnType<(typeof SETTINGS)[K]["parse"]>;
    } catch (err) {
      throw new ConfigError(`--${key}: ${(err as Error).message}`);
    }
  };
  return {
    host: read("host"),
    jsonPort: read("json-port"),
    binaryPort: read("binary-port"),
    metricsPort: read("metrics-port"),
    maxConnections: read("max-connections"),
    rateLimit: read("rate-limit"),
    idleTimeout: read("idle-timeout"),
    maxMessageSize: read("max-message-size"),
    logLevel: read("log-level"),
    workers: read("workers"),
    redis: read("redis"),
    metricsHost: read("metrics-host"),
    redisMode: read("redis-mode"),
    redisMaxLen: read("redis-max-len"),
    shutdownTimeout: read("shutdown-timeout"),
    restartDelay: read("restart-delay"),
    restartMaxDelay: read("restart-max-delay"),
    crashLimit: read("crash-limit"),
    crashWindow: read("crash-window"),
    relayMaxBytes: read("relay-max-bytes"),
    relayMaxMessages: read("relay-max-messages"),
  };
}
