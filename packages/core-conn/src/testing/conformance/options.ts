import type { Protocol } from "../../protocol";

/**
 * How the conformance kit makes garbage for a protocol, by format family:
 *
 * - `{ family: "magic", magic }`: frames start with a magic (as both built-in
 *   protocols do). Garbage is random bytes without the magic's first byte;
 *   the decoder must drop it and find the next magic.
 * - `{ family: "delimited", delimiter }`: frames end with a delimiter (lines).
 *   Garbage is a record longer than the limit, then the delimiter; the decoder
 *   must drop it whole, through its delimiter (not decode its tail as a
 *   frame). Empty garbage stays empty.
 * - `{ family: "length-prefixed" }`: a length prefix without a magic. Nothing
 *   can find the next frame after garbage, so the garbage check is not run
 *   (recorded as such); return a fatal result on a header that is provably
 *   wrong instead. The random-input check still runs.
 * - `{ skip: "reason" }`: no garbage check, for the recorded reason.
 * - a function: turns random bytes (0 to 64 of them) into garbage this
 *   protocol drops without losing the frames around it (for example a line
 *   that is never valid JSON, for newline-delimited JSON).
 */
export type GarbageOption =
  | MagicGarbage
  | DelimitedGarbage
  | LengthPrefixedGarbage
  | SkipGarbage
  | ((bytes: Uint8Array) => Uint8Array);

/** Garbage for a format whose frames start with a magic (see {@link GarbageOption}). */
export interface MagicGarbage {
  /** Always `"magic"`. */
  readonly family: "magic";
  /** The magic bytes, such as `[0xca, 0xfe]`. */
  readonly magic: ArrayLike<number>;
}

/** Garbage for a format whose frames end with a delimiter (see {@link GarbageOption}). */
export interface DelimitedGarbage {
  /** Always `"delimited"`. */
  readonly family: "delimited";
  /** The delimiter, such as `"\n"` (a string is UTF-8 encoded). */
  readonly delimiter: string | ArrayLike<number>;
}

/** A length-prefixed format without a magic: the garbage check does not run (see {@link GarbageOption}). */
export interface LengthPrefixedGarbage {
  /** Always `"length-prefixed"`. */
  readonly family: "length-prefixed";
}

/** No garbage check, for a reason the check's name records (see {@link GarbageOption}). */
export interface SkipGarbage {
  /** Why the garbage check does not apply. */
  readonly skip: string;
}

/** What {@link runProtocolConformance} needs to know about a protocol under test. */
export interface ConformanceOptions<M> {
  /** The protocol under test. Its `maxMessageSize` must fit every sample. */
  protocol: Protocol<M>;
  /**
   * Sample messages, in the order they are streamed. Include the empty and the
   * maximal value of every field, binary fields (they catch decoders that keep
   * views), and at least two messages whose frames differ in size (the
   * largest is used as the oversized frame). A few KiB in all is plenty.
   */
  samples: readonly M[];
  /**
   * Messages `encode` must refuse with a `TaurusError` of code
   * `INVALID_MESSAGE` or `MESSAGE_TOO_LARGE`.
   * @defaultValue `[]`
   */
  invalid?: readonly unknown[];
  /**
   * How to make garbage for this protocol: its format family, a function, or
   * an opt-out with its reason (see {@link GarbageOption}). Required by the
   * garbage check, which fails with guidance when it is missing.
   * @defaultValue none: the garbage check fails and says what to set
   */
  garbage?: GarbageOption;
  /**
   * Number of random cases per property.
   * @defaultValue 200
   */
  runs?: number;
}
