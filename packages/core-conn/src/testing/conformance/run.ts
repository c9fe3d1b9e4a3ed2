import { describe, it } from "vitest";
import { conformanceChecks } from "./checks";
import type { ConformanceOptions } from "./options";

/**
 * Registers a vitest suite that checks a protocol against the contract of
 * `Protocol`: round trips, `encodeInto`, no views kept into the receive
 * buffer, every split of a stream into chunks, garbage before, between and
 * after frames (per format family), truncated frames, oversized frames
 * skipped while streaming, random input, a decoder per connection, and
 * invalid messages refused by `encode`. Every failure says what failed and
 * why. Call it at the top level of a vitest file; it takes a few seconds for
 * a few KiB of samples.
 *
 * @param name - the suite's name
 * @param options - the protocol and its samples, see {@link ConformanceOptions}
 *
 * @example
 * ```ts
 * import { runProtocolConformance } from "@taurus/core-conn/testing";
 * runProtocolConformance("lines", {
 *   protocol: createLineProtocol(),
 *   samples: ["", "hello", "x".repeat(1000)],
 *   garbage: { family: "delimited", delimiter: "\n" },
 * });
 * ```
 */
export function runProtocolConformance<M>(name: string, options: ConformanceOptions<M>): void {
  describe(`protocol conformance: ${name}`, () => {
    for (const check of conformanceChecks(options)) it(check.name, () => check.run());
  });
}
