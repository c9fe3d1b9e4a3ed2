import { TaurusError } from "@taurus/core-conn";

/**
 * Builds the `TaurusError` with code `INVALID_OPTION` thrown (synchronously)
 * when a constructor, factory or method receives an option or argument
 * outside its documented range: its message names the option, states the
 * requirement and shows the value received, and its `option` is the name
 * (`"maxErrorCodes"` or `"p"`).
 *
 * @internal
 */
export function invalidOption(
  option: string,
  requirement: string,
  value: unknown,
): TaurusError<"INVALID_OPTION"> {
  return new TaurusError(
    "INVALID_OPTION",
    `${option} must be ${requirement}, got ${String(value)}`,
    {
      option,
    },
  );
}
