import { check } from "./assert";
import { kitContext } from "./context";
import {
  checkDecodeAgrees,
  checkEncodeInto,
  checkFrameSizes,
  checkInvalid,
  checkRoundTrips,
} from "./encode-checks";
import { checkGarbage, garbagePlan } from "./garbage";
import type { ConformanceOptions } from "./options";
import {
  checkByteAtATime,
  checkNoViews,
  checkOversize,
  checkOwnDecoders,
  checkRandomInput,
  checkRandomSplits,
  checkSplitInTwo,
  checkTruncations,
} from "./stream-checks";

/** One check of the conformance kit: a name and a function that throws when the protocol fails it. */
export interface ConformanceCheck {
  /** What is checked, as a test title. */
  readonly name: string;
  /**
   * Runs the check.
   *
   * @throws `ConformanceError` (or fast-check's error, which quotes it) saying what failed and why
   */
  run(): void;
}

/**
 * The checks of the conformance kit, for running them with any test runner
 * ({@link runProtocolConformance} registers them with vitest). Each check
 * throws an error that says what failed and why.
 *
 * @param options - the protocol and its samples, see {@link ConformanceOptions}
 * @returns the checks, in order; the samples are encoded on the first run
 */
export function conformanceChecks<M>(options: ConformanceOptions<M>): ConformanceCheck[] {
  const ctx = kitContext(options);
  const { protocol } = options;
  const checks: ConformanceCheck[] = [
    {
      name: "has at least two samples of different frame sizes",
      run: () => checkFrameSizes(ctx()),
    },
    { name: "round-trips every sample", run: () => checkRoundTrips(ctx()) },
    {
      name: "encodeInto and encodedLength agree with encode (when implemented)",
      run: () => checkEncodeInto(ctx()),
    },
    {
      name: "keeps no views into the receive buffer (a long stream in odd chunks, bytes overwritten after decode)",
      run: () => checkNoViews(ctx()),
    },
    {
      name: "decodes the stream split in two at every offset (around each frame)",
      run: () => checkSplitInTwo(ctx()),
    },
    {
      name: "decodes the stream delivered one byte at a time, consuming nothing until a frame is whole",
      run: () => checkByteAtATime(ctx()),
    },
    { name: "decodes the stream under any split into chunks", run: () => checkRandomSplits(ctx()) },
  ];
  const plan = garbagePlan(options.garbage);
  if (typeof plan === "string") {
    checks.push({
      name: "drops garbage before, between and after frames without losing a frame",
      run: () => check(false, () => plan),
    });
  } else if (plan.run) {
    checks.push({
      name: "drops garbage before, between and after frames without losing a frame",
      run: () => checkGarbage(ctx(), plan),
    });
  } else {
    const reason = plan.reason;
    checks.push({
      name: `garbage is not checked: ${reason}`,
      run: () => check(reason.length > 0, () => "an opt-out of the garbage check needs a reason"),
    });
  }
  checks.push(
    {
      name: "waits on every truncated frame without consuming it",
      run: () => checkTruncations(ctx()),
    },
    {
      name: "skips an oversized frame as it streams in, holding at most the limit plus one chunk",
      run: () => checkOversize(ctx()),
    },
    {
      name: "never throws, always progresses and never buffers past the limit on random input",
      run: () => checkRandomInput(ctx()),
    },
  );
  if (typeof protocol?.createDecoder === "function") {
    checks.push({
      name: "gives each connection a decoder of its own",
      run: () => checkOwnDecoders(ctx()),
    });
    if (typeof protocol.decode === "function") {
      checks.push({
        name: "decode (contract v1) agrees with createDecoder",
        run: () => checkDecodeAgrees(ctx()),
      });
    }
  }
  const invalid = options.invalid ?? [];
  if (invalid.length > 0) {
    checks.push({
      name: "refuses invalid messages in encode with a typed error",
      run: () => checkInvalid(ctx(), invalid),
    });
  }
  return checks;
}
