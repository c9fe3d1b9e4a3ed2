// Labelled assertions of the conformance kit: every failure says what was
// checked, what happened, and what to do about it. No test framework needed.
import { inspect, isDeepStrictEqual } from "node:util";

/** A broken rule of the protocol contract, found by the conformance kit. */
export class ConformanceError extends Error {
  /** @param message - what was checked, what happened, and why it matters */
  constructor(message: string) {
    super(message);
    this.name = "ConformanceError";
  }
}

/** Throws a {@link ConformanceError} with `message` unless `condition` holds. */
export function check(condition: boolean, message: () => string): asserts condition {
  if (!condition) throw new ConformanceError(message());
}

/** A short, one-line rendering of a value for a failure message. */
export function show(value: unknown): string {
  return inspect(value, {
    depth: 4,
    maxArrayLength: 12,
    maxStringLength: 60,
    breakLength: Number.POSITIVE_INFINITY,
    compact: true,
  });
}

const isView = ArrayBuffer.isView;

/**
 * Structural equality as vitest's `toEqual` has it, for messages: typed
 * arrays and Buffers compare by content whatever their class, properties
 * whose value is `undefined` are ignored, numbers compare with `===` (and NaN
 * equals NaN). Other objects with a prototype of their own (Date, Map...)
 * compare with `isDeepStrictEqual`.
 */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null) return false;
  if (typeof a === "number") return Number.isNaN(a) && Number.isNaN(b as number);
  if (typeof a !== "object") return false;
  if (isView(a) || isView(b)) {
    if (!isView(a) || !isView(b) || a.byteLength !== b.byteLength) return false;
    const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
    return true;
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameValue(a[i], b[i])) return false;
    return true;
  }
  const pa: unknown = Object.getPrototypeOf(a);
  const pb: unknown = Object.getPrototypeOf(b);
  const plain = (p: unknown) => p === Object.prototype || p === null;
  if (!plain(pa) || !plain(pb)) return isDeepStrictEqual(a, b);
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const keys = Object.keys(ra).filter((k) => ra[k] !== undefined);
  if (keys.length !== Object.keys(rb).filter((k) => rb[k] !== undefined).length) return false;
  for (const k of keys) if (!sameValue(ra[k], rb[k])) return false;
  return true;
}

/**
 * Checks that `got` holds exactly the `want` messages in order; on failure,
 * names the first message that differs (or the count) and the context.
 */
export function checkMessages(
  got: readonly unknown[],
  want: readonly unknown[],
  context: string,
  hint = "",
): void {
  const n = Math.min(got.length, want.length);
  for (let i = 0; i < n; i++) {
    check(
      sameValue(got[i], want[i]),
      () =>
        `${context}: message #${i} is ${show(got[i])}, expected ${show(want[i])}.${hint ? ` ${hint}` : ""}`,
    );
  }
  check(
    got.length === want.length,
    () =>
      `${context}: ${got.length} messages decoded, expected ${want.length}` +
      (got.length > want.length ? ` (extra: ${show(got[want.length])})` : "") +
      `.${hint ? ` ${hint}` : ""}`,
  );
}
