import net from "node:net";
import { TaurusError } from "@taurus/core-conn";

/** Default concurrent connections per remote address (32). */
export const DEFAULT_MAX_CONNECTIONS_PER_ADDRESS = 32;
/** Default new connections per second per remote address (10), with a burst of twice as many. */
export const DEFAULT_CONNECTIONS_PER_SECOND_PER_ADDRESS = 10;
/**
 * Default messages per second per remote address (200), one budget shared by
 * all of the address's connections, with a burst of as many.
 */
export const DEFAULT_MESSAGES_PER_SECOND_PER_ADDRESS = 200;
/**
 * Default addresses exempt from the per-address limits: the loopback
 * addresses `127.0.0.1` and `::1` (a local proxy, sidecar or health check
 * would otherwise count as one greedy peer). Other loopback addresses
 * (`127.0.0.2`...) are limited.
 */
export const DEFAULT_TRUSTED_ADDRESSES: readonly string[] = Object.freeze(["127.0.0.1", "::1"]);

/**
 * Limits per remote address, against one host holding every slot or flooding
 * a room from many connections. Each is on by default; `Infinity` turns one off.
 */
export interface PerAddressLimits {
  /**
   * Concurrent connections per address; an integer >= 1 or `Infinity`.
   * @defaultValue {@link DEFAULT_MAX_CONNECTIONS_PER_ADDRESS} (32)
   */
  maxConcurrent?: number;
  /**
   * New connections per second per address; a number > 0 or `Infinity`.
   * @defaultValue {@link DEFAULT_CONNECTIONS_PER_SECOND_PER_ADDRESS} (10)
   */
  ratePerSecond?: number;
  /**
   * Burst of new connections per address; an integer >= 1.
   * @defaultValue twice `ratePerSecond` (20)
   */
  burst?: number;
  /**
   * Messages per second per address, shared by all of its connections and
   * applied before frames are decoded (over it, its connections stop being
   * read until tokens return); a number > 0 or `Infinity`.
   * @defaultValue {@link DEFAULT_MESSAGES_PER_SECOND_PER_ADDRESS} (200)
   */
  messagesPerSecond?: number;
  /**
   * Burst of the per-address message limit; an integer >= 1.
   * @defaultValue `messagesPerSecond` rounded up
   */
  messageBurst?: number;
  /**
   * Addresses and CIDR blocks (`"10.0.0.0/8"`, `"fd00::/8"`) exempt from
   * these limits: trusted proxies and load balancers, whose connections carry
   * many users. `[]` limits every address.
   * @defaultValue {@link DEFAULT_TRUSTED_ADDRESSES} (`["127.0.0.1", "::1"]`)
   */
  trusted?: readonly string[];
}

/** @internal */
export interface ResolvedPerAddress {
  maxConcurrent: number;
  ratePerSecond: number;
  burst: number;
  messagesPerSecond: number;
  messageBurst: number;
  trusted: net.BlockList;
  /** The `trusted` list as given (normalised), for reports. */
  trustedList: readonly string[];
}

function invalid(name: string, requirement: string, value: unknown): TaurusError {
  return new TaurusError(
    "INVALID_OPTION",
    `option perAddress.${name} must be ${requirement}, got ${String(value)}`,
    { option: `perAddress.${name}` },
  );
}

function count(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (value === Number.POSITIVE_INFINITY) return value;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw invalid(name, "an integer >= 1 or Infinity", value);
  }
  return value;
}

function rate(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !(value > 0)) {
    throw invalid(name, "a number > 0 or Infinity", value);
  }
  return value;
}

/** A default burst for `tokens` per second: at least 1, at most the largest safe integer. */
function defaultBurst(tokens: number): number {
  return Math.min(Number.MAX_SAFE_INTEGER, Math.max(1, Math.ceil(tokens)));
}

function burst(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) throw invalid(name, "an integer >= 1", value);
  return value;
}

/**
 * Turns `"::ffff:1.2.3.4"` (an IPv4 peer of a dual-stack listener) into
 * `"1.2.3.4"`, so one host has one key whichever way it connects.
 *
 * @internal
 */
export function normalizeAddress(address: string): string {
  return address.startsWith("::ffff:") && net.isIPv4(address.slice(7)) ? address.slice(7) : address;
}

/** @internal Parses the trusted list into a `BlockList`, naming `perAddress.trusted` on error. */
export function trustedBlockList(list: readonly string[]): net.BlockList {
  if (!Array.isArray(list)) throw invalid("trusted", "an array of addresses or CIDRs", list);
  const blocks = new net.BlockList();
  for (const entry of list) {
    const text = typeof entry === "string" ? entry.trim() : "";
    const [address = "", prefixText, extra] = text.split("/");
    const family = net.isIPv4(address) ? "ipv4" : net.isIPv6(address) ? "ipv6" : undefined;
    const prefix = prefixText === undefined ? undefined : Number(prefixText);
    const maxPrefix = family === "ipv4" ? 32 : 128;
    if (
      !family ||
      extra !== undefined ||
      (prefix !== undefined &&
        (prefixText === "" || !Number.isInteger(prefix) || prefix < 0 || prefix > maxPrefix))
    ) {
      throw invalid("trusted", "a list of IP addresses or CIDR blocks", entry);
    }
    if (prefix === undefined) blocks.addAddress(address, family);
    else blocks.addSubnet(address, prefix, family);
  }
  return blocks;
}

/** @internal Applies defaults and validates, naming options as the user wrote them. */
export function resolvePerAddress(
  value: PerAddressLimits | false | undefined,
): ResolvedPerAddress | undefined {
  if (value === false) return undefined;
  if (value !== undefined && (typeof value !== "object" || value === null)) {
    throw new TaurusError(
      "INVALID_OPTION",
      `option perAddress must be an object or false, got ${String(value)}`,
    );
  }
  const o = value ?? {};
  const ratePerSecond = rate(
    "ratePerSecond",
    o.ratePerSecond,
    DEFAULT_CONNECTIONS_PER_SECOND_PER_ADDRESS,
  );
  const messagesPerSecond = rate(
    "messagesPerSecond",
    o.messagesPerSecond,
    DEFAULT_MESSAGES_PER_SECOND_PER_ADDRESS,
  );
  const trustedList = o.trusted ?? DEFAULT_TRUSTED_ADDRESSES;
  return {
    maxConcurrent: count("maxConcurrent", o.maxConcurrent, DEFAULT_MAX_CONNECTIONS_PER_ADDRESS),
    ratePerSecond,
    burst: burst(
      "burst",
      o.burst,
      Number.isFinite(ratePerSecond) ? defaultBurst(ratePerSecond * 2) : 1,
    ),
    messagesPerSecond,
    messageBurst: burst(
      "messageBurst",
      o.messageBurst,
      Number.isFinite(messagesPerSecond) ? defaultBurst(messagesPerSecond) : 1,
    ),
    trusted: trustedBlockList(trustedList),
    trustedList: [...trustedList],
  };
}
