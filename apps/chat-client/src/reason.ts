// Why a connection failed, in a few words: the socket's code (ECONNREFUSED...) when there is one.

const SOCKET_CODES: Record<string, string> = {
  ECONNREFUSED: "connection refused (nothing listens on that port)",
  ECONNRESET: "connection reset by the server",
  ETIMEDOUT: "timed out",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  ENOTFOUND: "no such host",
  EAI_AGAIN: "name lookup failed",
};

/** `ECONNREFUSED: connection refused (...)`, or the error's code and message. */
export function reason(err: unknown): string {
  let e: unknown = err;
  for (let i = 0; i < 4 && e instanceof Error; i++) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code && SOCKET_CODES[code]) return `${code}: ${SOCKET_CODES[code]}`;
    e = e.cause;
  }
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return code ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}
