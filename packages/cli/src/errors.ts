// How the CLI reports failures: a usage error (exit 2) or a failure (exit 1).

/** Bad arguments: the command prints the message and its usage, and exits with 2. */
export class UsageError extends Error {}

/** The command could not do its job: it prints the message and exits with 1. */
export class Failure extends Error {}

/** A short reason for a network error: `ECONNREFUSED (connection refused)`, or the message. */
export function reason(err: unknown): string {
  let e: unknown = err;
  // TaurusError wraps the socket error as its cause.
  for (let i = 0; i < 4 && e instanceof Error; i++) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code && SOCKET_CODES[code]) return `${code} (${SOCKET_CODES[code]})`;
    if (!(e as Error).cause) break;
    e = (e as Error).cause;
  }
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return code ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}

const SOCKET_CODES: Record<string, string> = {
  ECONNREFUSED: "connection refused: nothing listens on that port",
  ECONNRESET: "connection reset by the peer",
  ETIMEDOUT: "timed out",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  ENOTFOUND: "no such host",
  EAI_AGAIN: "name lookup failed, try again",
  EADDRINUSE: "address in use: pick another port",
  EACCES: "permission denied: ports below 1024 need privileges",
  EADDRNOTAVAIL: "address not available on this machine",
  CONNECT_TIMEOUT: "no answer to the connection attempt in time",
};
