// Conformance checks of single frames: sizes, round trips, encodeInto, refusals.
import { isTaurusError } from "../../errors";
import { check, sameValue, show } from "./assert";
import { decodeExpecting } from "./compare";
import { type KitContext, sampleName } from "./context";

export function checkFrameSizes<M>(ctx: KitContext<M>): void {
  const sizes = ctx.frames.map((f) => f.length);
  check(
    new Set(sizes).size > 1,
    () =>
      `the samples' frames are all ${sizes[0]} bytes: give at least two samples whose frames differ ` +
      "in size (the largest becomes the oversized frame, the smallest follows it).",
  );
}

const ROUND_TRIP = "encode and decode must round-trip.";

export function checkRoundTrips<M>(ctx: KitContext<M>): void {
  ctx.samples.forEach((message, i) => {
    const context = `${sampleName(ctx, i)} decoded alone`;
    const frame = [ctx.frames[i] as Uint8Array];
    const { events, leftover } = decodeExpecting(
      ctx,
      frame,
      [message],
      context,
      undefined,
      ROUND_TRIP,
    );
    check(
      events.length === 1,
      () => `${context} gave ${show(events)}, expected one message and nothing else.`,
    );
    check(
      leftover === 0,
      () => `${sampleName(ctx, i)} decoded alone left ${leftover} bytes buffered, expected 0.`,
    );
  });
}

const GUARD = 0xa5;

export function checkEncodeInto<M>(ctx: KitContext<M>): void {
  const { protocol } = ctx;
  const hasLength = typeof protocol.encodedLength === "function";
  const hasInto = typeof protocol.encodeInto === "function";
  check(
    hasLength === hasInto,
    () =>
      `protocol ${protocol.name} has ${hasLength ? "encodedLength" : "encodeInto"} without ` +
      `${hasLength ? "encodeInto" : "encodedLength"}: implement both or neither.`,
  );
  if (!hasLength || !protocol.encodedLength || !protocol.encodeInto) return;
  ctx.samples.forEach((message, i) => {
    const frame = ctx.frames[i] as Uint8Array;
    const length = protocol.encodedLength?.(message);
    check(
      length === frame.length,
      () =>
        `encodedLength(${sampleName(ctx, i)}) is ${show(length)}, but encode() returned ${frame.length} bytes.`,
    );
    const at = 7 + (i % 5); // an odd place in a larger buffer
    const target = Buffer.alloc(at + frame.length + 9, GUARD);
    const written = protocol.encodeInto?.(message, target, at);
    check(
      written === frame.length,
      () =>
        `encodeInto(${sampleName(ctx, i)}) returned ${show(written)}, expected ${frame.length} (the bytes it wrote).`,
    );
    for (let k = 0; k < frame.length; k++) {
      check(
        target[at + k] === frame[k],
        () =>
          `encodeInto(${sampleName(ctx, i)}) at offset ${at} wrote byte ${k} as ${target[at + k]}, ` +
          `but encode() has ${frame[k]}: it must write exactly encode()'s bytes, from offset.`,
      );
    }
    for (let k = 0; k < target.length; k++) {
      if (k >= at && k < at + frame.length) continue;
      check(
        target[k] === GUARD,
        () =>
          `encodeInto(${sampleName(ctx, i)}) at offset ${at} changed byte ${k}, outside its frame ` +
          `[${at}, ${at + frame.length}): it must write only its own bytes.`,
      );
    }
  });
}

const REFUSALS = new Set(["INVALID_MESSAGE", "MESSAGE_TOO_LARGE"]);

function checkRefused(name: string, call: () => unknown, what: string): void {
  let result: unknown;
  try {
    result = call();
  } catch (err) {
    check(
      isTaurusError(err) && REFUSALS.has(err.code),
      () =>
        `${name}(${what}) threw ${show(err)}: refuse with a TaurusError of code INVALID_MESSAGE ` +
        "or MESSAGE_TOO_LARGE (callers route errors by code).",
    );
    return;
  }
  check(
    false,
    () =>
      `${name}(${what}) returned ${show(result)}: it must throw a TaurusError INVALID_MESSAGE or MESSAGE_TOO_LARGE.`,
  );
}

export function checkInvalid<M>(ctx: KitContext<M>, invalid: readonly unknown[]): void {
  const { protocol } = ctx;
  invalid.forEach((bad, i) => {
    const what = `invalid #${i}: ${show(bad)}`;
    checkRefused("encode", () => protocol.encode(bad as M), what);
    if (typeof protocol.encodedLength === "function") {
      checkRefused("encodedLength", () => protocol.encodedLength?.(bad as M), what);
    }
  });
}

/** A protocol with both shapes: its v1 `decode` must agree with its v2 decoder. */
export function checkDecodeAgrees<M>(ctx: KitContext<M>): void {
  const { protocol } = ctx;
  const decode = protocol.decode;
  if (typeof decode !== "function") return;
  ctx.samples.forEach((message, i) => {
    const frame = Buffer.from(ctx.frames[i] as Uint8Array);
    const r = decode.call(protocol, frame, 0, frame.length, protocol.maxMessageSize);
    check(
      r.kind === "message" && r.consumed === frame.length && sameValue(r.message, message),
      () =>
        `decode() (contract v1) gave ${show(r)} for ${sampleName(ctx, i)}, but createDecoder() ` +
        "decodes it to the sample: both must agree.",
    );
  });
}
