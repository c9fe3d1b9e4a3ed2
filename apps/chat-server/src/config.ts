// Command-line flags and environment variables of chat-server.
import { parseArgs } from "node:util";
import { LEVELS, type Level, LOG_FORMATS, type LogFormat } from "./logger";

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
  /** `pretty` (one readable line per entry), `json` (one object per line), or `auto`: pretty on a terminal. */
  logFormat: LogFormat;
  /** Worker processes sharing the ports (node:cluster); 0 runs in this process. */
  workers: number;
  /** Redis URL of the backplane joining instances; "" for none. */
  redis: string;
}

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
  "log-format": {
    env: "CHAT_LOG_FORMAT",
    def: "auto",
    help: "pretty, json, or auto (pretty on a terminal, json when piped)",
    parse: logFormat,
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

function logFormat(v: string): LogFormat {
  if (!(LOG_FORMATS as readonly string[]).includes(v))
    throw new ConfigError(`not a log format: ${v} (use pretty, json or auto)`);
  return v as LogFormat;
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
    logFormat: read("log-format"),
    workers: read("workers"),
    redis: read("redis"),
  };
}
