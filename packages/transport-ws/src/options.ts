import { TaurusError } from "@taurus/core-conn";
import type { FrameLength } from "./frames";

/** Default milliseconds from a TCP connect to a completed WebSocket upgrade (10 s). */
export const DEFAULT_WS_HANDSHAKE_TIMEOUT = 10_000;
/** Default most WebSocket handshakes in progress at once (256). */
export const DEFAULT_MAX_HANDSHAKES = 256;
/** Default most WebSocket handshakes in progress at once from one address (16). */
export const DEFAULT_MAX_HANDSHAKES_PER_ADDRESS = 16;

/** Options of {@link attachWebSocket}. */
export interface WebSocketTransportOptions {
  /**
   * An HTTP server to share: the transport answers its `upgrade` requests
   * (for `path`) and leaves every other request to it, so a page and its
   * WebSocket come from one origin. Without it, call
   * {@link WebSocketTransport.listen} for a port of the transport's own.
   * @defaultValue none: the transport has its own HTTP server
   */
  httpServer?: import("node:http").Server;
  /**
   * The only URL path upgraded; another path is answered 404.
   * @defaultValue any path
   */
  path?: string;
  /**
   * The page origins (`"https://chat.example.com"`) whose WebSocket
   * connections are accepted, or `"*"` for any. A browser always sends its
   * page's `Origin` on a WebSocket handshake; a handshake from another origin
   * is answered 403 (`ORIGIN_REFUSED`), which stops a foreign page from
   * using a visitor's browser to connect. A handshake without `Origin` (not a
   * browser) is accepted.
   * @defaultValue same origin only: the `Origin`'s host must equal the request's `Host`
   */
  allowedOrigins?: readonly string[] | "*";
  /**
   * Addresses of reverse proxies whose `X-Forwarded-For` is believed: for a
   * handshake from one of them, the peer's address is the last address in
   * that header. Every per-address limit keys on this address.
   * @defaultValue none: the real remote address is used and the header ignored
   */
  trustedProxies?: readonly string[];
  /**
   * Milliseconds from the TCP connect (own port) or the upgrade request
   * (shared server) to a completed upgrade; past it the socket is destroyed
   * (`HANDSHAKE_TIMEOUT`). On a shared HTTP server, the request before the
   * upgrade is that server's (`headersTimeout`, `requestTimeout`).
   * @defaultValue {@link DEFAULT_WS_HANDSHAKE_TIMEOUT} (10 s)
   */
  handshakeTimeout?: number;
  /** Most handshakes in progress at once; more are destroyed (`CONNECTION_LIMIT`). @defaultValue {@link DEFAULT_MAX_HANDSHAKES} (256) */
  maxHandshakes?: number;
  /** Most handshakes in progress at once from one address. @defaultValue {@link DEFAULT_MAX_HANDSHAKES_PER_ADDRESS} (16) */
  maxHandshakesPerAddress?: number;
  /**
   * Addresses exempt from `maxHandshakesPerAddress` (still counted in
   * `maxHandshakes`), as the server's `perAddress.trusted` are from its limits.
   * @defaultValue `["127.0.0.1", "::1"]` (the server's default trusted addresses)
   */
  trustedAddresses?: readonly string[];
  /**
   * Per-message deflate. Off by default: it costs memory and CPU per
   * connection, and compressed messages open the door to decompression bombs.
   * @defaultValue `false`
   */
  perMessageDeflate?: boolean;
  /**
   * Reads a frame's length from its header, to send each frame in a message
   * of its own. Known for the `json` and `binary` protocols.
   * @defaultValue by the protocol's name; for another protocol, each write is one message
   */
  frameLength?: FrameLength;
  /** Called with each refusal and fault of the transport (never throws back). @defaultValue none */
  onError?: (error: TaurusError) => void;
}

/** @internal */
export interface ResolvedTransportOptions {
  path: string | undefined;
  allowedOrigins: ReadonlySet<string> | "*" | undefined;
  trustedProxies: ReadonlySet<string>;
  handshakeTimeout: number;
  maxHandshakes: number;
  maxHandshakesPerAddress: number;
  trustedAddresses: ReadonlySet<string>;
  perMessageDeflate: boolean;
}

function count(name: string, value: number | undefined, fallback: number, min: number): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < min) {
    throw new TaurusError(
      "INVALID_OPTION",
      `option ${name} must be an integer >= ${min}, got ${v}`,
      {
        option: name,
      },
    );
  }
  return v;
}

/** @internal Checks and fills the options. */
export function resolveTransportOptions(o: WebSocketTransportOptions): ResolvedTransportOptions {
  if (o.path !== undefined && !o.path.startsWith("/")) {
    throw new TaurusError("INVALID_OPTION", `option path must start with "/", got ${o.path}`, {
      option: "path",
    });
  }
  const origins = o.allowedOrigins;
  return {
    path: o.path,
    allowedOrigins:
      origins === "*" ? "*" : origins ? new Set(origins.map((x) => x.toLowerCase())) : undefined,
    trustedProxies: new Set(o.trustedProxies ?? []),
    handshakeTimeout: count(
      "handshakeTimeout",
      o.handshakeTimeout,
      DEFAULT_WS_HANDSHAKE_TIMEOUT,
      1,
    ),
    maxHandshakes: count("maxHandshakes", o.maxHandshakes, DEFAULT_MAX_HANDSHAKES, 1),
    maxHandshakesPerAddress: count(
      "maxHandshakesPerAddress",
      o.maxHandshakesPerAddress,
      DEFAULT_MAX_HANDSHAKES_PER_ADDRESS,
      1,
    ),
    trustedAddresses: new Set(o.trustedAddresses ?? ["127.0.0.1", "::1"]),
    perMessageDeflate: o.perMessageDeflate ?? false,
  };
}

/** @internal Whether a handshake's `Origin` header is allowed. */
export function originAllowed(
  origin: string | undefined,
  host: string | undefined,
  allowed: ReadonlySet<string> | "*" | undefined,
): boolean {
  if (origin === undefined || allowed === "*") return true;
  const lower = origin.toLowerCase();
  if (allowed) return allowed.has(lower);
  try {
    return host !== undefined && new URL(lower).host === host.toLowerCase();
  } catch {
    return false;
  }
}

/** @internal The peer's address: the real one, or a trusted proxy's last `X-Forwarded-For` entry. */
export function peerAddress(
  remote: string | undefined,
  forwarded: string | string[] | undefined,
  trusted: ReadonlySet<string>,
): string | undefined {
  const real = remote?.startsWith("::ffff:") ? remote.slice(7) : remote;
  if (real === undefined || forwarded === undefined || !trusted.has(real)) return real;
  const header = Array.isArray(forwarded) ? forwarded.join(",") : forwarded;
  const last = header.split(",").pop()?.trim();
  return last ? last : real;
}
