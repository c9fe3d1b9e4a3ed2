/**
 * Thrown (synchronously) when a constructor, factory or method receives an
 * option or argument outside its documented range.
 *
 * It mirrors the shape of `TaurusError` from `@taurus/core-conn` (a stable
 * `code` and a `kind`) without depending on it, so this package stays
 * dependency-free. Match on `code`, never on the message text.
 *
 * @example
 * ```ts
 * try {
 *   new TokenBucket({ rate: 0 });
 * } catch (err) {
 *   if (err instanceof InvalidOptionError) showUsage(err.option); // "rate"
 * }
 * ```
 */
export class InvalidOptionError extends RangeError {
  /** The stable error code, the same as `TaurusError`'s `INVALID_OPTION`. */
  readonly code = "INVALID_OPTION" as const;
  /** The error kind, the same as `TaurusError`'s for `INVALID_OPTION`. */
  readonly kind = "system" as const;
  /** The name of the offending option or argument, e.g. `"rate"` or `"n"`. */
  readonly option: string;

  /**
   * @param option - the name of the offending option or argument
   * @param message - a human-readable description (not stable)
   */
  constructor(option: string, message: string) {
    super(message);
    this.name = "InvalidOptionError";
    this.option = option;
  }
}

/**
 * Builds an {@link InvalidOptionError} whose message names the option, states
 * the requirement and shows the value received.
 *
 * @internal
 */
export function invalidOption(
  option: string,
  requirement: string,
  value: unknown,
): InvalidOptionError {
  return new InvalidOptionError(option, `${option} must be ${requirement}, got ${String(value)}`);
}
