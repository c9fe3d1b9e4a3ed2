// Garbage per format family, for the conformance kit's garbage check.
import fc from "fast-check";
import { check, show } from "./assert";
import { decodeExpecting } from "./compare";
import type { KitContext } from "./context";
import type { GarbageOption } from "./options";
import { holds } from "./property";
import { concat, droppedBytes, splitAt } from "./streams";

/** How the garbage check runs for a protocol: junk to insert and the limit to decode with, or why it does not run. */
export type GarbagePlan =
  | {
      readonly run: true;
      /** Makes the junk for one gap between frames. */
      readonly junk: (limit: number) => fc.Arbitrary<Uint8Array>;
      /** The limit to decode with, from the largest frame and the protocol's own. */
      readonly limit: (largestFrame: number, protocolLimit: number) => number;
      /** What the decoder must do, for a failure message. */
      readonly hint: string;
    }
  | { readonly run: false; readonly reason: string };

const bytes = (value: string | ArrayLike<number>): Uint8Array =>
  typeof value === "string" ? new TextEncoder().encode(value) : Uint8Array.from(value);

/** Turns the `garbage` option into a plan, or explains what to set. */
export function garbagePlan(option: GarbageOption | undefined): GarbagePlan | string {
  if (option === undefined) {
    return (
      "the garbage check needs to know your format family: set the garbage option to " +
      '{ family: "magic", magic: [0xca, 0xfe] }, { family: "delimited", delimiter: "\\n" }, ' +
      '{ family: "length-prefixed" }, a function that makes garbage from random bytes, ' +
      'or opt out with { skip: "why" }'
    );
  }
  if (typeof option === "function") {
    return {
      run: true,
      junk: () => fc.uint8Array({ maxLength: 64 }).map((b) => option(b)),
      limit: (_largest, own) => own,
      hint: "garbage (from your garbage function) must be dropped without losing a frame around it.",
    };
  }
  if ("skip" in option) {
    if (typeof option.skip !== "string" || option.skip.trim() === "") {
      return "garbage: { skip } needs the reason as a non-empty string";
    }
    return { run: false, reason: option.skip };
  }
  switch (option.family) {
    case "magic": {
      const magic = bytes(option.magic);
      if (magic.length === 0) return 'garbage: { family: "magic" } needs the magic bytes';
      const first = magic[0] as number;
      return {
        run: true,
        junk: () => fc.uint8Array({ maxLength: 64 }).map((b) => b.filter((x) => x !== first)),
        limit: (_largest, own) => own,
        hint:
          "bytes before a magic must be dropped up to the next magic, keeping only a trailing " +
          "byte that may begin one (resyncToMagic from @taurus/core-conn does exactly this).",
      };
    }
    case "delimited": {
      const delimiter = bytes(option.delimiter);
      if (delimiter.length === 0) return 'garbage: { family: "delimited" } needs the delimiter';
      let filler = 0x61; // "a", or the next byte that is not part of the delimiter
      while (delimiter.includes(filler)) filler++;
      return {
        run: true,
        junk: (limit) =>
          fc.option(fc.uint8Array({ maxLength: 64 }), { nil: undefined }).map((b) => {
            if (b === undefined) return new Uint8Array(0); // no garbage stays no garbage
            const body = b.filter((x) => !delimiter.includes(x));
            const record = new Uint8Array(Math.max(body.length, limit + 1) + delimiter.length);
            record.fill(filler);
            record.set(body);
            record.set(delimiter, record.length - delimiter.length);
            return record;
          }),
        // Garbage records are longer than the largest frame: decode with that limit.
        limit: (largest) => largest,
        hint:
          "a record longer than the limit must be dropped through its delimiter, and its tail " +
          "never decoded as a frame: keep a 'skipping' state in the decoder (createDecoder) and " +
          "return drops (continues: true after the first) until the delimiter has passed.",
      };
    }
    case "length-prefixed":
      return {
        run: false,
        reason:
          "length-prefixed without a magic: nothing can find the next frame after garbage; " +
          "return a fatal result on a header that is provably wrong (the random-input check still runs)",
      };
    default:
      return `garbage: unknown family ${JSON.stringify((option as { family?: unknown }).family)}`;
  }
}

/** Garbage before, between and after the frames is dropped; every frame still arrives. */
export function checkGarbage<M>(ctx: KitContext<M>, plan: GarbagePlan & { run: true }): void {
  const { frames, samples, protocol } = ctx;
  const largest = Math.max(...frames.map((f) => f.length));
  const smallest = Math.min(...frames.map((f) => f.length));
  const limit = plan.limit(largest, protocol.maxMessageSize);
  const framed = frames.reduce((n, f) => n + f.length, 0);
  holds(
    fc.property(
      fc.array(plan.junk(limit), { minLength: frames.length + 1, maxLength: frames.length + 1 }),
      fc.array(fc.nat(), { maxLength: 20 }),
      (junk, cuts) => {
        const parts: Uint8Array[] = [];
        frames.forEach((f, i) => {
          parts.push(junk[i] as Uint8Array, f);
        });
        parts.push(junk[frames.length] as Uint8Array);
        const whole = concat(parts);
        const context = `garbage of [${junk.map((j) => j.length)}] bytes around the samples, with a limit of ${limit}`;
        const chunks = splitAt(whole, cuts);
        const { events, leftover } = decodeExpecting(
          ctx,
          chunks,
          samples,
          context,
          limit,
          plan.hint,
        );
        const fatal = events.find((e) => "fatal" in e);
        check(
          fatal === undefined,
          () =>
            `${context}: got ${show(fatal)}; this format can resynchronise: drop garbage instead. ${plan.hint}`,
        );
        const dropped = droppedBytes(events);
        check(
          dropped + framed + leftover === whole.length,
          () =>
            `${context}: ${dropped} bytes dropped + ${framed} framed + ${leftover} left = ` +
            `${dropped + framed + leftover}, expected the ${whole.length} bytes sent: every byte is a frame, a drop, or waits.`,
        );
        check(
          leftover < smallest,
          () =>
            `${context}: ${leftover} bytes wait for more, not fewer than a whole frame (${smallest}): ` +
            `garbage must not accumulate. ${plan.hint}`,
        );
      },
    ),
    ctx.runs,
  );
}
