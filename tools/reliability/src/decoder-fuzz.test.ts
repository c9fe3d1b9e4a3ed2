// Property-based fuzzing of both decoders: any input yields messages, asks for more, or
// drops bytes; decode never throws, always makes progress, and nothing is buffered past
// the limit (plus the chunk being decoded).
import type { DecodeResult } from "@taurus/core-conn";
import { decodeStream } from "@taurus/core-conn/testing";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { binaryKit, jsonKit, type Kit, magicFree, record, scale } from "./harness";

const RUNS = scale(300, 5_000);

/** Calls decode until it asks for more, checking each result; returns the number of calls. */
function drain<M>(protocol: Kit<M>["protocol"], buffer: Buffer, limit: number): number {
  let start = 0;
  let calls = 0;
  while (start < buffer.length) {
    calls++;
    // Each call consumes at least one byte, so more calls than bytes means no progress.
    if (calls > buffer.length + 1) throw new Error("decode loops without progress");
    const r: DecodeResult<M> = protocol.decode(buffer, start, buffer.length, limit);
    if (r.kind === "need_more") {
      // Asking for more is only allowed while the buffered bytes could still be a frame under the limit.
      if (buffer.length - start >= limit) throw new Error("need_more with a full limit buffered");
      break;
    }
    if (r.kind === "fatal") throw new Error("the built-in decoders never return fatal");
    if (!(Number.isInteger(r.consumed) && r.consumed >= 1))
      throw new Error(`bad consumed ${r.consumed}`);
    if (r.kind === "message" && r.consumed > buffer.length - start)
      throw new Error("message past the end");
    if (r.kind === "message" && r.consumed > limit) throw new Error("message over the limit");
    start += r.consumed;
  }
  return calls;
}

/** Splits `bytes` at the given cut points. */
function chunked(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let at = 0;
  for (const p of points) {
    out.push(bytes.subarray(at, p));
    at = p;
  }
  out.push(bytes.subarray(at));
  return out.filter((c) => c.length > 0);
}

function fuzzSuite<M>(kit: Kit<M>): void {
  const protocol = kit.protocol;
  const magic = fc.constant(Uint8Array.from(kit.magic));
  // Inputs biased towards the interesting: magics, headers with any length, frames, garbage.
  const header = fc
    .tuple(fc.nat({ max: 2 ** 32 - 1 }), fc.uint8Array({ maxLength: kit.headerSize }))
    .map(([length, rest]) => {
      const h = Buffer.alloc(kit.headerSize);
      h.set(rest.subarray(0, kit.headerSize));
      h[0] = kit.magic[0];
      h[1] = kit.magic[1];
      h.writeUInt32BE(length, kit.lengthAt);
      return new Uint8Array(h);
    });
  const frame = fc
    .tuple(fc.integer({ min: 1, max: 2 ** 32 - 1 }), fc.string({ maxLength: 200 }))
    .map(([seq, text]) => new Uint8Array(kit.frame(seq, text)));
  const piece = fc.oneof(fc.uint8Array({ maxLength: 300 }), magic, header, frame);
  const stream = fc.array(piece, { maxLength: 30 }).map((parts) => Buffer.concat(parts));
  const limit = fc.integer({ min: kit.headerSize + 4, max: 4096 });

  describe(`decoder fuzz: ${kit.name}`, () => {
    it("decode never throws, always makes progress, and asks for more only under the limit", () => {
      fc.assert(
        fc.property(stream, limit, fc.nat({ max: 64 }), (bytes, max, offset) => {
          // Decode inside a larger buffer too: start is not always 0.
          const buffer = Buffer.concat([Buffer.alloc(offset, 0xaa), bytes]);
          drain(protocol, buffer.subarray(offset), max);
          expect(() => protocol.decode(buffer, offset, buffer.length, max)).not.toThrow();
        }),
        { numRuns: RUNS },
      );
      record(`decoder-fuzz-${kit.name}`, {
        group: "Decoder fuzzing",
        title: `${kit.name}: decoder properties (fast-check)`,
        load: `${RUNS} runs for each of 5 properties`,
        faults: "none",
        badInputs:
          "streams of random bytes, magics, headers announcing any u32 length, valid frames, magic-free garbage; any chunking; limits 4096 B and below; single-byte corruptions",
        lost: 0,
        lostUnit: "valid frames between garbage (checked by a property)",
        observed: { properties: 5, runsEach: RUNS },
      });
    });

    it("streamed in any chunks, nothing is buffered past limit + one chunk, nothing over the limit delivered", () => {
      fc.assert(
        fc.property(stream, limit, fc.array(fc.nat(), { maxLength: 20 }), (bytes, max, cuts) => {
          const chunks = chunked(bytes, cuts);
          const biggest = chunks.reduce((n, c) => Math.max(n, c.length), 0);
          const result = decodeStream(protocol, chunks, max);
          expect(result.maxBuffered).toBeLessThanOrEqual(max + biggest);
          expect(result.leftover).toBeLessThan(max);
          for (const e of result.events) {
            if ("message" in e) expect(protocol.encode(e.message).length).toBeLessThanOrEqual(max);
          }
        }),
        { numRuns: RUNS },
      );
    });

    it("garbage with no magic is dropped as it comes: at most one byte is kept", () => {
      fc.assert(
        fc.property(fc.uint8Array({ minLength: 1, maxLength: 5000 }), (raw) => {
          const garbage = magicFree(kit, raw);
          if (garbage.length === 0) return;
          const result = decodeStream(protocol, [garbage]);
          expect(result.leftover).toBeLessThanOrEqual(1);
          expect(result.events.every((e) => "drop" in e && e.drop === "invalid_format")).toBe(true);
        }),
        { numRuns: RUNS },
      );
    });

    it("valid frames survive any garbage between them and any chunking, in order", () => {
      fc.assert(
        fc.property(
          fc.array(fc.tuple(fc.uint8Array({ maxLength: 100 }), fc.string({ maxLength: 100 })), {
            minLength: 1,
            maxLength: 20,
          }),
          fc.array(fc.nat(), { maxLength: 20 }),
          (items, cuts) => {
            const parts = items.flatMap(([g, text], i) => [
              magicFree(kit, g),
              kit.frame(i + 1, text),
            ]);
            const result = decodeStream(protocol, chunked(Buffer.concat(parts), cuts));
            const got = result.events.flatMap((e) => ("message" in e ? [e.message] : []));
            expect(got.map((m) => kit.sequence(m))).toEqual(items.map((_, i) => i + 1));
            expect(got.map((m) => kit.text(m))).toEqual(items.map(([, t]) => t));
            expect(result.leftover).toBe(0);
          },
        ),
        { numRuns: RUNS },
      );
    });

    it("single-byte corruptions: what is delivered is a valid message; binary delivers none of the corrupted", () => {
      fc.assert(
        fc.property(
          fc.array(fc.string({ maxLength: 60 }), { minLength: 1, maxLength: 8 }),
          fc.nat(),
          fc.integer({ min: 1, max: 255 }),
          (texts, at, mask) => {
            const frames = texts.map((t, i) => kit.frame(i + 1, t));
            const all = Buffer.concat(frames);
            const p = at % all.length;
            all[p] = (all[p] as number) ^ mask;
            const result = decodeStream(protocol, [all]);
            const got = result.events.flatMap((e) => ("message" in e ? [e.message] : []));
            for (const m of got) {
              const i = kit.sequence(m) - 1;
              const intact = i >= 0 && i < texts.length && kit.text(m) === texts[i];
              if (kit.name === "binary") expect(intact).toBe(true);
            }
            expect(got.length).toBeLessThanOrEqual(texts.length);
          },
        ),
        { numRuns: RUNS },
      );
    });
  });
}

fuzzSuite(jsonKit);
fuzzSuite(binaryKit);

describe("decoder fuzz: JSON bodies", () => {
  const json = jsonKit.protocol;
  const frameOf = (body: string): Buffer => {
    const b = Buffer.from(body);
    const h = Buffer.alloc(6);
    h[0] = 0xfe;
    h[1] = 0xff;
    h.writeUInt32BE(b.length, 2);
    return Buffer.concat([h, b]);
  };

  it("any JSON value as a body, or as data, is a message or one whole-frame drop", () => {
    const body = fc.oneof(
      fc.json(),
      fc
        .record({
          type: fc.oneof(fc.nat({ max: 2 ** 32 }), fc.jsonValue()),
          sequence: fc.oneof(fc.nat({ max: 2 ** 32 }), fc.jsonValue()),
          data: fc.jsonValue(),
          timestamp: fc.oneof(fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n }), fc.jsonValue()),
        })
        .map((r) =>
          // Big integers go out as raw digits, as Go writes int64 timestamps.
          JSON.stringify(r, (_k, v: unknown) => (typeof v === "bigint" ? `@big${v}@` : v)).replace(
            /"@big(-?\d+)@"/g,
            "$1",
          ),
        ),
    );
    let messages = 0;
    fc.assert(
      fc.property(body, (text) => {
        const frame = frameOf(text);
        const r = json.decode(frame, 0, frame.length, json.maxMessageSize);
        expect(r.kind).not.toBe("need_more");
        if (r.kind === "message" || r.kind === "drop") expect(r.consumed).toBe(frame.length);
        if (r.kind === "message") {
          messages++;
          // What is delivered re-encodes to a frame that decodes to the same message.
          const again = Buffer.from(json.encode(r.message));
          const back = json.decode(again, 0, again.length, json.maxMessageSize);
          expect(back.kind).toBe("message");
        }
      }),
      { numRuns: RUNS },
    );
    record(`decoder-fuzz-json-bodies-${scale("fast", "stress")}`, {
      group: "Decoder fuzzing",
      title: "json: arbitrary JSON bodies",
      load: `${RUNS} generated bodies`,
      faults: "none",
      badInputs: "any JSON value as the body; records with any JSON value in each field",
      lost: 0,
      observed: { decodedAsMessages: messages },
    });
  });

  it("deep nesting up to the frame limit never throws", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 200_000 }),
        fc.constantFrom("[", '{"a":'),
        (depth, open) => {
          const close = open === "[" ? "]" : "}";
          const body = `{"type":1,"sequence":1,"data":{"x":${open.repeat(depth)}1${close.repeat(depth)}},"timestamp":1700000000000000001}`;
          const frame = frameOf(body);
          const r = json.decode(frame, 0, frame.length, json.maxMessageSize);
          expect(["message", "drop"]).toContain(r.kind);
        },
      ),
      { numRuns: scale(30, 200) },
    );
  });
});
