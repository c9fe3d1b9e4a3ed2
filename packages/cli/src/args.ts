// Reading the command line: addresses, durations, sizes and the options every command shares.
import { type ParseArgsConfig, parseArgs } from "node:util";
import { UsageError } from "./errors";

export interface Address {
  host: string;
  port: number;
}

/** `host:port`, `[v6]:port`, or a bare `port` (on 127.0.0.1; `0` only where `allowZero`). */
export function parseAddress(text: string | undefined, allowZero = false): Address {
  if (!text) throw new UsageError("expected an address: host:port");
  const colon = text.lastIndexOf(":");
  const hostPart = colon === -1 ? "127.0.0.1" : text.slice(0, colon).replace(/^\[(.*)\]$/, "$1");
  const port = Number(colon === -1 ? text : text.slice(colon + 1));
  if (
    (colon !== -1 && hostPart === "") ||
    !Number.isInteger(port) ||
    port < (allowZero ? 0 : 1) ||
    port > 65535
  ) {
    throw new UsageError(`not a host:port address: ${text}`);
  }
  return { host: hostPart, port };
}

/** `host:port` as typed back to a person (IPv6 in brackets). */
export function formatAddress({ host, port }: Address): string {
  return `${host.includes(":") ? `[${host}]` : host}:${port}`;
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000 };

/** A duration in milliseconds: `500ms`, `10s`, `1m`, or a plain number of milliseconds. */
export function parseDuration(name: string, text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  const ms = match ? Number(match[1]) * (UNITS[match[2] ?? "ms"] ?? 1) : Number.NaN;
  if (!(ms > 0) || ms > 2 ** 31 - 1) {
    throw new UsageError(`--${name}: not a duration: ${text} (use 500ms, 10s or 1m)`);
  }
  return Math.round(ms);
}

/** A whole number from `min` to `max`. */
export function parseCount(name: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name}: expected a whole number from ${min} to ${max}, got ${text}`);
  }
  return n;
}

/** Options every command takes. */
export const COMMON = {
  protocol: { type: "string", short: "p" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

/** `parseArgs`, strict, with usage errors as {@link UsageError}. */
export function parse<O extends NonNullable<ParseArgsConfig["options"]>>(
  argv: string[],
  options: O,
): ReturnType<typeof parseArgs<{ options: O; allowPositionals: true; strict: true }>> {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}
