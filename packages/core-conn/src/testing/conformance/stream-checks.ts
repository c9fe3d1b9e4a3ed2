// Conformance checks of byte streams: splits, views, truncations, oversize, random input.
import fc from "fast-check";
import { decodeStream, StreamDecoder, type StreamEvent } from "../decode-stream";
import { check, checkMessages, show } from "./assert";
import { decodeExpecting, VIEWS_HINT } from "./compare";
import { type KitContext, sampleName } from "./context";
import { holds } from "./property";
import { chunked, concat, cutPoints, firstNonMessage, messagesOf, splitAt } from "./streams";

/** Chunk sizes that fall across frames and the reader's buffer sizes at odd places. */
const ODD_CHUNKS = [1, 3, 7, 61, 509, 4093, 127, 2039, 13, 8191];
/** The long stream of the views check: several times the reader's first buffer (4 KiB). */
const LONG_STREAM = 24 * 1024;

function onlyMessages<M>(events: readonly StreamEvent<M>[], context: string): void {
  const other = firstNonMessage(events);
  check(
    other === undefined,
    () => `${context}: got ${show(other)} in a stream of valid frames, expected only messages.`,
  );
}

export function checkNoViews<M>(ctx: KitContext<M>): void {
  const rounds = Math.max(2, Math.ceil(LONG_STREAM / ctx.stream.length));
  const long = concat(Array.from({ length: rounds }, () => ctx.stream));
  const want = Array.from({ length: rounds }, () => ctx.samples).flat();
  const chunks = chunked(long, ODD_CHUNKS);
  const plain = decodeStream(ctx.protocol, chunks, undefined, { poison: false });
  const context = `${long.length} bytes (the samples ${rounds} times) streamed in odd chunks`;
  onlyMessages(plain.events, context);
  checkMessages(messagesOf(plain.events), want, context, VIEWS_HINT);
  const poisoned = decodeStream(ctx.protocol, chunks);
  checkMessages(
    messagesOf(poisoned.events),
    want,
    `${context}, with each frame's bytes overwritten right after decode returned`,
    VIEWS_HINT,
  );
}

export function checkSplitInTwo<M>(ctx: KitContext<M>): void {
  const { frames, samples } = ctx;
  frames.forEach((frame, k) => {
    // The frame cut, with its neighbours: a cut only matters around where it falls.
    const first = Math.max(0, k - 1);
    const last = Math.min(frames.length, k + 2);
    const window = concat(frames.slice(first, last));
    const want = samples.slice(first, last);
    const at = k > first ? (frames[first] as Uint8Array).length : 0;
    for (const cut of cutPoints(at, at + frame.length)) {
      const context = `samples #${first} to #${last - 1} split in two at byte ${cut - at} of ${sampleName(ctx, k)}`;
      const { events, leftover } = decodeExpecting(ctx, splitAt(window, [cut]), want, context);
      onlyMessages(events, context);
      check(leftover === 0, () => `${context}: ${leftover} bytes left buffered, expected 0.`);
    }
  });
}

export function checkByteAtATime<M>(ctx: KitContext<M>): void {
  // Views are the business of checkNoViews: here, a plain connection.
  const run = new StreamDecoder(ctx.protocol, ctx.protocol.maxMessageSize, false);
  const events: StreamEvent<M>[] = [];
  ctx.frames.forEach((frame, k) => {
    for (let n = 1; n <= frame.length; n++) {
      run.feed(frame.subarray(n - 1, n), events);
      const context = `one byte at a time, after byte ${n} of ${sampleName(ctx, k)}`;
      if (n < frame.length) {
        check(
          events.length === k,
          () => `${context}: got ${show(events.at(-1))} before the frame was complete.`,
        );
        check(
          run.buffered === n,
          () =>
            `${context}: ${run.buffered} bytes buffered, expected ${n}: on "need more" a decoder ` +
            "must consume nothing (it sees the same bytes again, with more).",
        );
      } else {
        check(
          events.length === k + 1,
          () => `${context} (its last): ${events.length - k} events, expected the message.`,
        );
        checkMessages(messagesOf(events), ctx.samples.slice(0, k + 1), context);
        check(run.buffered === 0, () => `${context}: ${run.buffered} bytes left, expected 0.`);
      }
    }
  });
}

export function checkRandomSplits<M>(ctx: KitContext<M>): void {
  holds(
    fc.property(fc.array(fc.nat(), { maxLength: 40 }), (cuts) => {
      const chunks = splitAt(ctx.stream, cuts);
      const context = `the samples split into ${chunks.length} chunks of [${chunks.map((c) => c.length)}] bytes`;
      const { events, leftover } = decodeExpecting(ctx, chunks, ctx.samples, context);
      onlyMessages(events, context);
      check(leftover === 0, () => `${context}: ${leftover} bytes left buffered, expected 0.`);
    }),
    ctx.runs,
  );
}

export function checkTruncations<M>(ctx: KitContext<M>): void {
  ctx.frames.forEach((frame, k) => {
    for (const n of cutPoints(1, frame.length)) {
      const { events, leftover } = decodeStream(ctx.protocol, [frame.subarray(0, n)]);
      const context = `the first ${n} bytes of ${sampleName(ctx, k)}, on a fresh connection`;
      check(
        events.length === 0,
        () => `${context}: got ${show(events[0])}, expected to wait for more.`,
      );
      check(
        leftover === n,
        () =>
          `${context}: ${leftover} bytes kept, expected all ${n}: "need more" consumes nothing.`,
      );
    }
  });
}

export function checkOversize<M>(ctx: KitContext<M>): void {
  const sizes = ctx.frames.map((f) => f.length);
  const bigIndex = sizes.indexOf(Math.max(...sizes));
  const smallIndex = sizes.indexOf(Math.min(...sizes));
  const big = ctx.frames[bigIndex] as Uint8Array;
  const small = ctx.frames[smallIndex] as Uint8Array;
  const limit = big.length - 1;
  const whole = concat([big, small]);
  for (const chunkSize of [1, 7, 64, whole.length]) {
    const chunks = chunked(whole, [chunkSize]);
    const { events, leftover, maxBuffered } = decodeStream(ctx.protocol, chunks, limit, {
      poison: false,
    });
    const context =
      `${sampleName(ctx, bigIndex)} then ${sampleName(ctx, smallIndex)}, with a limit of ` +
      `${limit} bytes, in chunks of ${chunkSize}`;
    const first = events[0];
    check(
      first !== undefined && (("drop" in first && !first.continues) || "fatal" in first),
      () =>
        `${context}: first event ${show(first)}, expected a drop (too_large) of the oversized frame.`,
    );
    check(
      ("drop" in first ? first.drop : first.fatal) === "too_large",
      () =>
        `${context}: the oversized frame was refused as ${show(first)}, expected reason too_large.`,
    );
    check(
      maxBuffered <= limit + chunkSize,
      () =>
        `${context}: ${maxBuffered} bytes were buffered at once, over the limit plus one chunk ` +
        `(${limit + chunkSize}): recognise an oversized frame from its header (or, delimited, ` +
        "when the limit passes without a delimiter) and skip it as it streams in.",
    );
    if ("fatal" in first) continue; // a protocol may close on an oversized frame
    const drops = events.slice(0, -1);
    const dropped = drops.reduce((n, e) => n + ("drop" in e ? e.consumed : 0), 0);
    const tail = drops.find((e) => !("drop" in e) || e.drop !== "too_large");
    check(
      tail === undefined,
      () =>
        `${context}: after the first drop came ${show(tail)}: the rest of the oversized frame ` +
        "was decoded as a frame of its own. Skip it whole (through its delimiter, for a " +
        "delimited format: keep a 'skipping' state in the decoder and return drops with " +
        "continues: true until the delimiter has passed).",
    );
    check(
      dropped === big.length,
      () =>
        `${context}: the drops before the next message cover ${dropped} bytes (${show(drops)}), ` +
        `expected exactly the ${big.length} bytes of the oversized frame: skip it whole, ` +
        "through its delimiter for a delimited format, and decode what follows as the next frame.",
    );
    checkMessages(messagesOf(events), [ctx.samples[smallIndex]], context);
    check(leftover === 0, () => `${context}: ${leftover} bytes left buffered, expected 0.`);
  }
}

export function checkRandomInput<M>(ctx: KitContext<M>): void {
  const limit = Math.min(ctx.protocol.maxMessageSize, 4096);
  holds(
    fc.property(
      fc.array(fc.oneof(fc.uint8Array({ maxLength: 256 }), fc.constantFrom(...ctx.frames)), {
        maxLength: 12,
      }),
      fc.array(fc.nat(), { maxLength: 12 }),
      (parts, cuts) => {
        const chunks = splitAt(concat(parts), cuts);
        const { maxBuffered } = decodeStream(ctx.protocol, chunks, limit);
        const biggest = Math.max(0, ...chunks.map((c) => c.length));
        check(
          maxBuffered <= limit + biggest,
          () =>
            `random input in chunks of [${chunks.map((c) => c.length)}] with a limit of ${limit}: ` +
            `${maxBuffered} bytes buffered at once, over the limit plus one chunk.`,
        );
      },
    ),
    ctx.runs,
  );
}

export function checkOwnDecoders<M>(ctx: KitContext<M>): void {
  const a = new StreamDecoder(ctx.protocol, ctx.protocol.maxMessageSize, false);
  const b = new StreamDecoder(ctx.protocol, ctx.protocol.maxMessageSize, false);
  const ea: StreamEvent<M>[] = [];
  const eb: StreamEvent<M>[] = [];
  const ca = chunked(ctx.stream, [3]);
  const cb = chunked(ctx.stream, [5]);
  for (let i = 0; i < Math.max(ca.length, cb.length); i++) {
    if (i < ca.length) a.feed(ca[i] as Uint8Array, ea);
    if (i < cb.length) b.feed(cb[i] as Uint8Array, eb);
  }
  const hint =
    "Decoders from createDecoder() must not share state: each connection gets its own " +
    "(a decoder that keeps no state may be shared).";
  checkMessages(
    messagesOf(ea),
    ctx.samples,
    "two connections at once, the first (chunks of 3)",
    hint,
  );
  checkMessages(
    messagesOf(eb),
    ctx.samples,
    "two connections at once, the second (chunks of 5)",
    hint,
  );
}
