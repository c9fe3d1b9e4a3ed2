// Command-line flags and environment variables of chat-server.
import { parseArgs } from "node:util";
import { LEVELS, type Level, LOG_FORMATS, type LogFormat } from "./logger";

export interface Config {
  host: string;
  jsonPort: number;
  binaryPort: number;
  metricsPort: number;
  /** Port of the web chat page and its WebSocket (/ws, the JSON protocol); `undefined`: no page. */
  webPort: number | undefined;
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
  /** Concurrent connections per remote address, per protocol. */
  maxConnectionsPerAddress: number;
  /** New connections per second per remote address. */
  connectionRatePerAddress: number;
  /** Messages per second per remote address, over all its connections. */
  messageRatePerAddress: number;
  /** Addresses and CIDR blocks exempt from the per-address limits. */
  trustedProxies: string[];
  /** Bytes held for peers by this process, both protocols together. */
  memoryBudget: number;
  /** Bytes each connection's send queue holds before sends to it are refused (SEND_QUEUE_FULL). */
  sendQueueBytes: number;
  /** How long a user whose connection dropped keeps its session (issue 13); 0: no sessions. */
  resumeWindow: number;
  /** A peer not reading for this long is closed (SLOW_CONSUMER); 0 disables. */
  writeTimeout: number;
  /** A frame must complete this long after its first byte; 0 disables. */
  frameTimeout: number;
  /** At most one join/leave notice per this many ms (the rest are listed in the next). */
  noticeInterval: number;
  /** Repeated log lines are summarised once per this many ms. */
  logInterval: number;
  /** Inbound bytes per second per connection, before frames are decoded. */
  inboundBytesPerSecond: number;
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
  "web-port": {
    env: "CHAT_WEB_PORT",
    def: "",
    help: "port of the web chat page and its WebSocket at /ws (empty: no page)",
    parse: (v: string) => (v === "" ? undefined : port(v)),
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
    def: "65536",
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
  "max-connections-per-address": {
    env: "CHAT_MAX_CONNECTIONS_PER_ADDRESS",
    def: "32",
    help: "most connections per remote address and protocol (inf: no limit)",
    parse: countOrInfinity,
  },
  "connection-rate-per-address": {
    env: "CHAT_CONNECTION_RATE_PER_ADDRESS",
    def: "10",
    help: "new connections per second per remote address, burst twice as many (inf: no limit)",
    parse: positiveNumber,
  },
  "message-rate-per-address": {
    env: "CHAT_MESSAGE_RATE_PER_ADDRESS",
    def: "200",
    help: "messages per second per remote address over all its connections (inf: no limit)",
    parse: positiveNumber,
  },
  "trusted-proxies": {
    env: "CHAT_TRUSTED_PROXIES",
    def: "127.0.0.1,::1",
    help: 'comma-separated addresses or CIDRs exempt from the per-address limits ("": none)',
    parse: addressList,
  },
  "send-queue-bytes": {
    env: "CHAT_SEND_QUEUE_BYTES",
    def: "64KiB",
    help: "bytes each connection's send queue holds (64KiB, 1MiB...); keep max connections x this within --memory-budget",
    parse: byteSize,
  },
  "resume-window": {
    env: "CHAT_RESUME_WINDOW",
    def: "2m",
    help: "a user whose connection drops keeps name, rooms and every message sent meanwhile (delivered once on return) for this long (0: no sessions)",
    parse: duration,
  },
  "memory-budget": {
    env: "CHAT_MEMORY_BUDGET",
    def: "640MiB",
    help: "bytes held for peers by this process over both protocols (640MiB, 64MiB, 1GiB...); over it the greediest peer is closed",
    parse: byteSize,
  },
  "write-timeout": {
    env: "CHAT_WRITE_TIMEOUT",
    def: "5s",
    help: "close a peer that reads nothing for this long while data waits for it (0 disables)",
    parse: duration,
  },
  "frame-timeout": {
    env: "CHAT_FRAME_TIMEOUT",
    def: "10s",
    help: "close a peer whose message does not complete this long after its first byte (0 disables)",
    parse: duration,
  },
  "notice-interval": {
    env: "CHAT_NOTICE_INTERVAL",
    def: "1s",
    help: "at most one join/leave notice per interval, listing what happened (0: one per event)",
    parse: duration,
  },
  "log-interval": {
    env: "CHAT_LOG_INTERVAL",
    def: "10s",
    help: "repeated log lines (per code and connection) are summarised once per interval",
    parse: positiveDuration,
  },
  "inbound-bytes-per-second": {
    env: "CHAT_INBOUND_BYTES_PER_SECOND",
    def: "1MiB",
    help: "bytes per second a connection may send, checked before frames are parsed (inf: no limit)",
    parse: byteRate,
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

function countOrInfinity(v: string): number {
  if (v === "inf" || v === "Infinity") return Number.POSITIVE_INFINITY;
  return positiveInt(v);
}

/** Comma-separated addresses or CIDR blocks; "" is none (the server checks each one). */
function addressList(v: string): string[] {
  const list = v
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  for (const entry of list) {
    if (!/^[0-9a-fA-F.:]+(\/\d{1,3})?$/.test(entry)) {
      throw new ConfigError(`not an address or CIDR: ${entry}`);
    }
  }
  return list;
}

const SIZE_UNITS: Record<string, number> = { "": 1, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 };

/** A size in bytes: `65536`, `64KiB`, `512MiB`, `1GiB`. */
export function byteSize(v: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(KiB|MiB|GiB)?$/i.exec(v.trim());
  if (!match) throw new ConfigError(`not a size: ${v} (use 65536, 64KiB, 512MiB or 1GiB)`);
  const bytes = Math.round(Number(match[1]) * (SIZE_UNITS[(match[2] ?? "").toLowerCase()] ?? 1));
  if (!Number.isSafeInteger(bytes) || bytes < 1) throw new ConfigError(`not a size: ${v}`);
  return bytes;
}

function byteRate(v: string): number {
  return v === "inf" || v === "Infinity" ? Number.POSITIVE_INFINITY : byteSize(v);
}

function positiveDuration(v: string): number {
  const ms = duration(v);
  if (ms < 1) throw new ConfigError(`must be longer than 0: ${v}`);
  return ms;
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
    const flag = values[key] as string | undefined;
    const raw = flag ?? env[s.env] ?? s.def;
    try {
      return s.parse(raw) as ReturnType<(typeof SETTINGS)[K]["parse"]>;
    } catch (err) {
      // Name what the user wrote: the flag, or the environment variable it fell back to.
      const where =
        flag === undefined && env[s.env] !== undefined ? `${s.env} (--${key})` : `--${key}`;
      throw new ConfigError(`${where}: ${(err as Error).message}`);
    }
  };
  return {
    host: read("host"),
    jsonPort: read("json-port"),
    binaryPort: read("binary-port"),
    metricsPort: read("metrics-port"),
    webPort: read("web-port"),
    maxConnections: read("max-connections"),
    rateLimit: read("rate-limit"),
    idleTimeout: read("idle-timeout"),
    maxMessageSize: read("max-message-size"),
    logLevel: read("log-level"),
    logFormat: read("log-format"),
    workers: read("workers"),
    redis: read("redis"),
    maxConnectionsPerAddress: read("max-connections-per-address"),
    connectionRatePerAddress: read("connection-rate-per-address"),
    messageRatePerAddress: read("message-rate-per-address"),
    trustedProxies: read("trusted-proxies"),
    memoryBudget: read("memory-budget"),
    sendQueueBytes: read("send-queue-bytes"),
    resumeWindow: read("resume-window"),
    writeTimeout: read("write-timeout"),
    frameTimeout: read("frame-timeout"),
    noticeInterval: read("notice-interval"),
    logInterval: read("log-interval"),
    inboundBytesPerSecond: read("inbound-bytes-per-second"),
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
