// Logs on stderr: one JSON object per line (for machines: piped, or --log-format json),
// or one readable line per entry on a terminal (--log-format pretty, the default there).
export const LEVELS = ["debug", "info", "warn", "error"] as const;
export type Level = (typeof LEVELS)[number];

export const LOG_FORMATS = ["auto", "pretty", "json"] as const;
/** `auto`: `pretty` when stderr is a terminal, `json` otherwise. */
export type LogFormat = (typeof LOG_FORMATS)[number];

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/**
 * A logger writing entries at `level` and above. A `hint` field is shown on a line
 * of its own in the pretty format (a sentence for the person at the terminal).
 */
export function createLogger(
  level: Level,
  write: (line: string) => void = (l) => process.stderr.write(l),
  format: LogFormat = "json",
): Logger {
  const min = LEVELS.indexOf(level);
  const pretty = format === "pretty" || (format === "auto" && process.stderr.isTTY === true);
  const color = pretty && process.stderr.isTTY === true && !process.env.NO_COLOR;
  const log =
    (at: Level) =>
    (msg: string, fields: Record<string, unknown> = {}) => {
      if (LEVELS.indexOf(at) < min) return;
      const time = new Date();
      write(
        pretty
          ? prettyLine(time, at, msg, fields, color)
          : `${JSON.stringify({ time: time.toISOString(), level: at, msg, ...fields })}\n`,
      );
    };
  return { debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") };
}

const COLORS: Record<Level, string> = {
  debug: "\x1b[90m",
  info: "\x1b[36m",
  warn: "\x1b[33m",
  error: "\x1b[31m",
};

/** `12:03:04.123 INFO  listening host=0.0.0.0 json=8080`, then the hint, if any, indented. */
export function prettyLine(
  time: Date,
  level: Level,
  msg: string,
  fields: Record<string, unknown>,
  color = false,
): string {
  const { hint, ...rest } = fields;
  const pairs = Object.entries(rest)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${prettyValue(v)}`);
  const clock = `${time.toTimeString().slice(0, 8)}.${String(time.getMilliseconds()).padStart(3, "0")}`;
  const tag = level.toUpperCase().padEnd(5);
  const head = color ? `\x1b[2m${clock}\x1b[0m ${COLORS[level]}${tag}\x1b[0m` : `${clock} ${tag}`;
  const line = [head, msg, ...pairs].join(" ");
  return typeof hint === "string" ? `${line}\n  ${hint}\n` : `${line}\n`;
}

function prettyValue(v: unknown): string {
  if (typeof v === "string") return /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v);
  if (typeof v === "number" || typeof v === "boolean" || typeof v === "bigint") return String(v);
  return JSON.stringify(v) ?? String(v);
}
