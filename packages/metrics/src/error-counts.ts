import { invalidOption } from "./errors";

/** The four error kinds of Taurus (and of the Go original). */
export type ErrorKind = "connection" | "protocol" | "system" | "buffer";

/** Every {@link ErrorKind}, in a stable order. */
export const ERROR_KINDS: readonly ErrorKind[] = Object.freeze([
  "connection",
  "protocol",
  "system",
  "buffer",
]);

/** Default cap on distinct error codes counted separately: 64. */
export const DEFAULT_MAX_ERROR_CODES = 64;

/** The code under which errors are counted once the code cap is reached. */
export const OTHER_ERROR_CODE = "other";

/** Error counts per kind, as in a snapshot. */
export interface ErrorsByKind {
  /** Connection errors (closed, timeouts, limits). */
  connection: number;
  /** Protocol errors (framing, checksum, size, malformed body). */
  protocol: number;
  /** System errors (socket, handler failures, invalid options). */
  system: number;
  /** Buffer errors (send queue full). */
  buffer: number;
}

/**
 * Counts errors by kind and by code. Codes are counted separately up to a
 * cap; further distinct codes are counted under {@link OTHER_ERROR_CODE}, so
 * memory stays bounded whatever strings callers pass.
 *
 * @internal
 */
export class ErrorCounts {
  total = 0;
  connection = 0;
  protocol = 0;
  system = 0;
  buffer = 0;
  private other = 0;
  private readonly byCode = new Map<string, number>();
  private readonly maxCodes: number;

  constructor(maxCodes: number) {
    if (!Number.isSafeInteger(maxCodes) || maxCodes < 0) {
      throw invalidOption("maxErrorCodes", "an integer >= 0", maxCodes);
    }
    this.maxCodes = maxCodes;
  }

  add(kind: ErrorKind, code: string): void {
    this.total++;
    switch (kind) {
      case "connection":
        this.connection++;
        break;
      case "protocol":
        this.protocol++;
        break;
      case "buffer":
        this.buffer++;
        break;
      default:
        this.system++;
    }
    const known = this.byCode.get(code);
    if (known !== undefined) {
      this.byCode.set(code, known + 1);
    } else if (this.byCode.size < this.maxCodes && code !== OTHER_ERROR_CODE) {
      this.byCode.set(code, 1);
    } else {
      this.other++;
    }
  }

  kinds(): ErrorsByKind {
    return {
      connection: this.connection,
      protocol: this.protocol,
      system: this.system,
      buffer: this.buffer,
    };
  }

  codes(): Record<string, number> {
    const entries: [string, number][] = [...this.byCode];
    if (this.other > 0) entries.push([OTHER_ERROR_CODE, this.other]);
    // fromEntries defines own properties, so a code like "__proto__" is safe.
    return Object.fromEntries(entries);
  }
}
