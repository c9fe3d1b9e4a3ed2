import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FrameReader } from "../frame-reader";
import type { DecodeResult, DropReason, Protocol } from "../protocol";

/** What {@link runProtocolConformance} needs to know about a protocol under test. */
export interface ConformanceOptions<M> {
  /** The protocol under test. Its `maxMessageSize` must fit every sample. */
  protocol: Protocol<M>;
  /**
   * Sample messages, in the order they are streamed. Include the empty and the
   * maximal value of every field, and at least two messages whose frames differ
   * in size (the largest is used as the oversized frame).
   */
  samples: readonly M[];
  /**
   * Messages `encode` must refuse with a `TaurusError` of code
   * `INVALID_MESSAGE` or `MESSAGE_TOO_LARGE`.
   * @defaultValue `[]`
   */
  invalid?: readonly unknown[];
  /**
   * Turns arbitrary bytes into garbage this protocol can resynchronise after
   * (for a magic-based format: remove the magic's first byte; for a
   * line-based one: remove newlines and end with one). Garbage must be dropped
   * without losing the frames around it.
   * @defaultValue the bytes unchanged
   */
  garbage?: (bytes: Uint8Array) => Uint8Array;
  /**
   * Number of random cases per property.
   * @defaultValue 200
   */
  runs?: number;
}

/** A decoded message, in a {@link DecodedStream}. */
export interface StreamMessageEvent<M> {
  /** The message. */
  message: M;
}

/** Dropped bytes, in a {@link DecodedStream}. */
export interface StreamDropEvent {
  /** Why the bytes were dropped. */
  drop: DropReason;
  /** How many bytes were dropped (may exceed what had arrived, for an oversized frame). */
  consumed: number;
}

/** One event of a decoded stream, as the suite records it. */
export type StreamEvent<M> = StreamMessageEvent<M> | StreamDropEvent;

/** The result of decoding a whole stream with {@link decodeStream}. */
export interface DecodedStream<M> {
  /** Messages and drops, in order. */
  events: StreamEvent<M>[];
  /** Bytes still buffered after the last chunk (an incomplete frame). */
  leftover: number;
  /** The most bytes ever buffered at once. */
  maxBuffered: number;
}

/**
 * Decodes a stream delivered in the given chunks through the same frame reader
 * a `Connection` uses, and checks the protocol's rules on every call: no
 * throw, progress on every message or drop.
 *
 * @param protocol - the protocol under test
 * @param chunks - the stream, split into chunks
 * @param maxMessageSize - the limit in force (default: the protocol's own)
 * @returns every event, the leftover and the peak of buffered bytes
 * @throws an assertion error when the protocol breaks a rule of the contract
 */
export function decodeStream<M>(
  protocol: Protocol<M>,
  chunks: readonly Uint8Array[],
  maxMessageSize = protocol.maxMessageSize,
): DecodedStream<M> {
  const reader = new FrameReader(checked(protocol), maxMessageSize);
  const events: StreamEvent<M>[] = [];
  let maxBuffered = 0;
  for (const chunk of chunks) {
    reader.push(Buffer.from(chunk));
    maxBuffered = Math.max(maxBuffered, reader.buffered);
    for (let r = reader.next(); r && r.kind !== "need_more"; r = reader.next()) {
      events.push(
        r.kind === "message" ? { message: r.message } : { drop: r.reason, consumed: r.consumed },
      );
    }
  }
  return { events, leftover: reader.buffered, maxBuffered };
}

function checked<M>(protocol: Protocol<M>): Protocol<M> {
  return {
    name: protocol.name,
    maxMessageSize: protocol.maxMessageSize,
    encode: (m) => protocol.encode(m),
    decode(buffer, start, end, max) {
      let result: DecodeResult<M>;
      try {
        result = protocol.decode(buffer, start, end, max);
      } catch (err) {
        throw new Error(`decode threw on ${end - start} bytes: ${String(err)}`);
      }
      if (
        result.kind !== "need_more" &&
        !(Number.isInteger(result.consumed) && result.consumed >= 1)
      ) {
        throw new Error(`decode returned ${result.kind} with consumed=${String(result.consumed)}`);
      }
      if (result.kind === "message" && result.consumed > end - start) {
        throw new Error("decode returned a message longer than the bytes it was given");
      }
      return result;
    },
  };
}

/** Splits `bytes` at the given (unsorted, possibly repeated) offsets. */
function splitAt(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const parts: Uint8Array[] = [];
  let from = 0;
  for (const p of points) {
    if (p > from) parts.push(bytes.subarray(from, p));
    from = Math.max(from, p);
  }
  if (from < bytes.length) parts.push(bytes.subarray(from));
  return parts;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  return Buffer.concat(parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength)));
}

function messagesOf<M>(events: readonly StreamEvent<M>[]): M[] {
  return events.flatMap((e) => ("message" in e ? [e.message] : []));
}

/**
 * Registers a vitest suite that checks a protocol against the contract of
 * `Protocol`: round trips, every split of a stream into chunks, garbage
 * before, between and after frames, truncated frames, oversized frames
 * skipped while streaming, random input, and invalid messages refused by
 * `encode`. Call it at the top level of a vitest file.
 *
 * @param name - the suite's name
 * @param options - the protocol and its samples, see {@link ConformanceOptions}
 *
 * @example
 * ```ts
 * import { runProtocolConformance } from "@taurus/core-conn/testing";
 * runProtocolConformance("ndjson", { protocol: createNdjsonProtocol(), samples: [{ a: 1 }, { b: "x".repeat(300) }] });
 * ```
 */
export function runProtocolConformance<M>(name: string, options: ConformanceOptions<M>): void {
  const { protocol, samples } = options;
  const runs = options.runs ?? 200;
  const garbage = options.garbage ?? ((b: Uint8Array) => b);

  describe(`protocol conformance: ${name}`, () => {
    const frames = samples.map((m) => protocol.encode(m));
    const stream = concat(frames);

    it("has at least two samples of different frame sizes", () => {
      expect(new Set(frames.map((f) => f.length)).size).toBeGreaterThan(1);
    });

    it("round-trips every sample", () => {
      samples.forEach((message, i) => {
        const frame = frames[i] as Uint8Array;
        expect(frame.length).toBeLessThanOrEqual(protocol.maxMessageSize);
        const { events, leftover } = decodeStream(protocol, [frame]);
        expect(events).toEqual([{ message }]);
        expect(leftover).toBe(0);
      });
    });

    it("decodes the stream split in two at every offset", () => {
      for (let cut = 0; cut <= stream.length; cut++) {
        const { events, leftover } = decodeStream(protocol, splitAt(stream, [cut]));
        expect(messagesOf(events)).toEqual(samples);
        expect(events).toHaveLength(samples.length);
        expect(leftover).toBe(0);
      }
    });

    it("decodes the stream delivered one byte at a time", () => {
      const chunks = Array.from(stream, (b) => Uint8Array.of(b));
      expect(decodeStream(protocol, chunks).events).toEqual(
        samples.map((message) => ({ message })),
      );
    });

    it("decodes the stream under any split into chunks", () => {
      fc.assert(
        fc.property(fc.array(fc.nat(), { maxLength: 40 }), (cuts) => {
          const { events, leftover } = decodeStream(protocol, splitAt(stream, cuts));
          expect(events).toEqual(samples.map((message) => ({ message })));
          expect(leftover).toBe(0);
        }),
        { numRuns: runs },
      );
    });

    it("drops garbage before, between and after frames without losing a frame", () => {
      const bytes = fc.uint8Array({ minLength: 0, maxLength: 64 }).map(garbage);
      fc.assert(
        fc.property(
          fc.array(bytes, { minLength: frames.length + 1, maxLength: frames.length + 1 }),
          fc.array(fc.nat(), { maxLength: 20 }),
          (junk, cuts) => {
            const parts: Uint8Array[] = [];
            for (const [i, f] of frames.entries()) parts.push(junk[i] as Uint8Array, f);
            parts.push(junk[frames.length] as Uint8Array);
            const whole = concat(parts);
            const { events, leftover } = decodeStream(protocol, splitAt(whole, cuts));
            expect(messagesOf(events)).toEqual(samples);
            const dropped = events.reduce((n, e) => n + ("drop" in e ? e.consumed : 0), 0);
            const framed = frames.reduce((n, f) => n + f.length, 0);
            expect(dropped + framed + leftover).toBe(whole.length);
            // Garbage never accumulates: what waits for more is shorter than a frame.
            expect(leftover).toBeLessThan(Math.min(...frames.map((f) => f.length)));
          },
        ),
        { numRuns: runs },
      );
    });

    it("waits on every truncated frame without consuming it", () => {
      for (const frame of frames) {
        for (let n = 1; n < frame.length; n++) {
          const { events, leftover } = decodeStream(protocol, [frame.subarray(0, n)]);
          expect(events).toEqual([]);
          expect(leftover).toBe(n);
        }
      }
    });

    it("skips an oversized frame as it streams in, holding at most the limit plus one chunk", () => {
      const sizes = frames.map((f) => f.length);
      const big = frames[sizes.indexOf(Math.max(...sizes))] as Uint8Array;
      const smallIndex = sizes.indexOf(Math.min(...sizes));
      const small = frames[smallIndex] as Uint8Array;
      const limit = big.length - 1;
      for (const chunkSize of [1, 7, 64, big.length + small.length]) {
        const whole = concat([big, small]);
        const chunks: Uint8Array[] = [];
        for (let i = 0; i < whole.length; i += chunkSize)
          chunks.push(whole.subarray(i, i + chunkSize));
        const { events, leftover, maxBuffered } = decodeStream(protocol, chunks, limit);
        // A length-prefixed format drops the frame in one go; a delimited one may need several
        // drops, but the first says why and together they cover exactly the oversized frame.
        const drops = events.slice(0, -1);
        expect(drops[0]).toMatchObject({ drop: "too_large" });
        expect(drops.every((e) => "drop" in e)).toBe(true);
        expect(drops.reduce((n, e) => n + ("drop" in e ? e.consumed : 0), 0)).toBe(big.length);
        expect(events.at(-1)).toEqual({ message: samples[smallIndex] });
        expect(leftover).toBe(0);
        expect(maxBuffered).toBeLessThanOrEqual(limit + chunkSize);
      }
    });

    it("never throws, always progresses and never buffers past the limit on random input", () => {
      const limit = Math.min(protocol.maxMessageSize, 4096);
      fc.assert(
        fc.property(
          fc.array(fc.oneof(fc.uint8Array({ maxLength: 256 }), fc.constantFrom(...frames)), {
            maxLength: 12,
          }),
          fc.array(fc.nat(), { maxLength: 12 }),
          (parts, cuts) => {
            const whole = concat(parts);
            const chunks = splitAt(whole, cuts);
            const { maxBuffered } = decodeStream(protocol, chunks, limit);
            const biggestChunk = Math.max(0, ...chunks.map((c) => c.length));
            expect(maxBuffered).toBeLessThanOrEqual(limit + biggestChunk);
          },
        ),
        { numRuns: runs },
      );
    });

    if (options.invalid && options.invalid.length > 0) {
      it("refuses invalid messages in encode with a typed error", () => {
        for (const bad of options.invalid ?? []) {
          let error: unknown;
          try {
            protocol.encode(bad as M);
          } catch (err) {
            error = err;
          }
          expect((error as { code?: unknown } | undefined)?.code).toMatch(
            /^(INVALID_MESSAGE|MESSAGE_TOO_LARGE)$/,
          );
        }
      });
    }
  });
}
