// Random cases with fast-check, failing with the kit's own message (fast-check 4
// keeps the inner error as a cause, out of its message).
import fc from "fast-check";
import { ConformanceError } from "./assert";

/** Checks `property` on `runs` random cases; a failure says what failed, then how to replay it. */
export function holds<T>(property: fc.IProperty<T>, runs: number): void {
  const details = fc.check(property, { numRuns: runs });
  if (!details.failed) return;
  const inner = details.errorInstance;
  const message = inner instanceof Error ? inner.message : String(inner);
  throw new ConformanceError(
    `${message}\n(found by fast-check after ${details.numRuns} random cases, shrunk ` +
      `${details.numShrinks} times; replay with seed ${details.seed}, path "${details.counterexamplePath}")`,
  );
}
