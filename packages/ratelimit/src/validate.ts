import type { Clock } from "./clock";
import { invalidOption } from "./errors";

/**
 * Checks a rate in events per second: a number > 0, `Infinity` allowed.
 *
 * @internal
 */
export function checkRate(option: string, value: number): number {
  if (typeof value !== "number" || !(value > 0)) {
    throw invalidOption(option, "a number > 0 (Infinity for unlimited)", value);
  }
  return value;
}

/**
 * Checks a count: a safe integer >= 1, or `Infinity` when `allowInfinity`.
 *
 * @internal
 */
export function checkCount(option: string, value: number, allowInfinity: boolean): number {
  if (allowInfinity && value === Number.POSITIVE_INFINITY) return value;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw invalidOption(
      option,
      allowInfinity ? "an integer >= 1 or Infinity" : "an integer >= 1",
      value,
    );
  }
  return value;
}

/**
 * Checks a clock option: a function.
 *
 * @internal
 */
export function checkClock(option: string, value: Clock): Clock {
  if (typeof value !== "function") throw invalidOption(option, "a function", value);
  return value;
}

/**
 * The burst used when none is given: the rate rounded up, at least 1
 * (`Infinity` for an unlimited rate), mirroring Go's `rate.NewLimiter(r, r)`.
 *
 * @internal
 */
export function burstForRate(rate: number): number {
  return rate === Number.POSITIVE_INFINITY ? rate : Math.max(1, Math.ceil(rate));
}
