import { describe, expect, it } from "vitest";
import { createLegacyLineProtocol, createLineProtocol } from "./fixtures/lines";
import { createU16Protocol } from "./fixtures/u16";
import { FrameReader, PIECE_MIN } from "./frame-reader";
import { type DecodeResult, NEED_MORE, type Protocol } from "./protocol";

function u16Frame(text: string): Buffer {
  const body = Buffer.from(text);
  const frame = Buffer.allocUnsafe(2 + body.length);
  frame.writeUInt16BE(body.length, 0);
  body.copy(frame, 2);
  return frame;
}

/** The u16 protocol, recording the buffer each decode call was given. */
function recordingU16(limit: number): { protocol: Protocol<string>; seen: Buffer[] } {
  const inner = createU16Protocol(limit);
  const seen: Buffer[] = [];
  return {
    seen,
    protocol: {
      ...inner,
      createDecoder(options) {
        const decoder = inner.createDecoder!(options);
        return {
          decode(buffer, start, end) {
            seen.push(buffer);
            return decoder.decode(buffer, start, end);
          },
        };
      },
    },
  };
}

/** Everything `next` returns until it has nothing complete. */
function drain<M>(reader: FrameReader<M>): DecodeResult<M>[] {
  const out: DecodeResult<M>[] = [];
  for (let r = reader.next(); r !== undefined && r.kind !== "need_more"; r = reader.next()) {
    out.push(r);
    if (r.kind === "fatal") break;
  }
  return out;
}

/** What a reader made of a stream: messages as they are, drops as "drop:<reason>". */
function outcomes<M>(results: DecodeResult<M>[]): (M | string)[] {
  return results.map((r) =>
    r.kind === "message" ? r.message : r.kind === "drop" ? `drop:${r.reason}` : `fatal:${r.kind}`,
  );
}

/** A small deterministic generator (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("FrameReader: a chunk behind a partial frame", () => {
  it("is copied only until that frame completes; the frames after it are decoded in the chunk itself", () => {
    const { protocol, seen } = recordingU16(64 * 1024);
    const reader = new FrameReader(protocol, 64 * 1024);
    const big = "b".repeat(5000);
    const straddling = u16Frame(big);
    const after = Array.from({ length: 3000 }, (_, i) => `m${i}`); // ~20 KiB behind it
    const first = Buffer.concat([u16Frame("a"), straddling.subarray(0, 3)]);
    const second = Buffer.concat([straddling.subarray(3), ...after.map(u16Frame)]);
    reader.push(first);
    expect(outcomes(drain(reader))).toEqual(["a"]);
    reader.push(second);
    // Buffered counts the waiting chunk, though little of it was copied yet.
    expect(reader.buffered).toBe(3 + second.length);
    seen.length = 0;
    expect(outcomes(drain(reader))).toEqual([big, ...after]);
    // Every frame after the straddling one was decoded from `second` itself, not from a copy.
    expect(seen.slice(-after.length).every((buffer) => buffer === second)).toBe(true);
    expect(seen.slice(-after.length - 1)[0]).not.toBe(second);
    expect(reader.atRest).toBe(true);
    expect(reader.capacity).toBe(0);
  });

  it("copies pieces of at least PIECE_MIN bytes, doubling, so a long frame takes few decode calls", () => {
    const { protocol, seen } = recordingU16(64 * 1024);
    const reader = new FrameReader(protocol, 64 * 1024);
    const text = "x".repeat(60_000);
    const frame = u16Frame(text);
    reader.push(frame.subarray(0, 10));
    expect(drain(reader)).toEqual([]);
    seen.length = 0;
    reader.push(frame.subarray(10));
    expect(outcomes(drain(reader))).toEqual([text]);
    // 10 bytes buffered, then about 4, 8, 16, 32 KiB and the whole frame: six calls, not one per KiB.
    expect(seen.length).toBeLessThanOrEqual(Math.ceil(Math.log2(60_000 / PIECE_MIN)) + 2);
  });

  it("takes a second chunk pushed before the first was decoded (delivery held) without losing a byte", () => {
    const reader = new FrameReader(createU16Protocol(1024), 1024);
    const frames = ["one", "two", "three", "four"].map(u16Frame);
    const all = Buffer.concat(frames);
    reader.push(all.subarray(0, 4));
    expect(drain(reader)).toEqual([]);
    reader.push(all.subarray(4, 9));
    reader.push(all.subarray(9, 12));
    reader.push(all.subarray(12));
    expect(reader.buffered).toBe(all.length);
    expect(outcomes(drain(reader))).toEqual(["one", "two", "three", "four"]);
    expect(reader.atRest).toBe(true);
  });

  it("skips a dropped frame through the waiting chunk and past it", () => {
    const reader = new FrameReader(createU16Protocol(100), 100);
    const tooLarge = u16Frame("z".repeat(3000)); // over the limit: dropped as it streams in
    const stream = Buffer.concat([u16Frame("before"), tooLarge, u16Frame("after")]);
    reader.push(stream.subarray(0, 9)); // "before" and one byte of the large frame's header
    expect(outcomes(drain(reader))).toEqual(["before"]);
    reader.push(stream.subarray(9, 1000)); // the header completes: the drop reaches past this chunk
    expect(outcomes(drain(reader))).toEqual(["drop:too_large"]);
    expect(reader.skipping).toBe(8 + 2 + 3000 - 1000);
    reader.push(stream.subarray(1000));
    expect(outcomes(drain(reader))).toEqual(["after"]);
    expect(reader.atRest).toBe(true);
  });

  it("counts the waiting chunk in clear() and in capacity", () => {
    const reader = new FrameReader(createU16Protocol(1024), 1024);
    const frame = u16Frame("y".repeat(500));
    reader.push(frame.subarray(0, 100));
    drain(reader);
    const rest = frame.subarray(100);
    reader.push(rest);
    expect(reader.atRest).toBe(false);
    expect(reader.capacity).toBeGreaterThanOrEqual(rest.length);
    expect(reader.clear()).toBe(frame.length);
    expect(reader.atRest).toBe(true);
  });

  it("stops a decoder that keeps asking for more past the limit, even while a chunk waits", () => {
    const endless: Protocol<string> = {
      name: "endless",
      maxMessageSize: 10_000,
      encode: () => new Uint8Array(0),
      createDecoder: () => ({ decode: () => NEED_MORE }),
    };
    const reader = new FrameReader(endless, 10_000);
    reader.push(Buffer.alloc(10));
    expect(drain(reader)).toEqual([]);
    reader.push(Buffer.alloc(50_000));
    const [result] = drain(reader);
    expect(result?.kind).toBe("fatal");
    expect(reader.isStopped).toBe(true);
    expect(reader.buffered).toBe(0);
  });
});

describe("FrameReader: any split of a stream gives the same results", () => {
  /** A message as its length and first characters (short enough for a readable diff). */
  const short = (o: string) => (o.startsWith("drop:") ? o : `${o.length}:${o.slice(0, 6)}`);
  // name, protocol, framing, longest text, whether drops are the same for any split (the
  // line decoders drop an over-long line in as many parts as it arrived in; the stateless
  // one then decodes its tail as a line, so it gets no over-long lines here)
  const cases: [
    string,
    (limit: number) => Protocol<string>,
    (t: string) => Buffer,
    number,
    boolean,
  ][] = [
    ["u16 (v2, drops ahead of the bytes)", createU16Protocol, u16Frame, 9000, true],
    ["lines (v2, resumes its scan)", createLineProtocol, (t) => Buffer.from(`${t}\n`), 9000, false],
    ["lines-v1 (stateless)", createLegacyLineProtocol, (t) => Buffer.from(`${t}\n`), 4000, true],
  ];
  for (const [name, make, frame, longest, sameDrops] of cases) {
    it(name, () => {
      const limit = 4096;
      const keep = (o: string) => sameDrops || !o.startsWith("drop:");
      for (let seed = 1; seed <= 30; seed++) {
        const next = random(seed);
        const texts = Array.from({ length: 60 }, (_, i) =>
          `${i}:`.padEnd(Math.floor(next() ** 3 * longest) + 3, "abcdefgh"[i % 8]),
        );
        const stream = Buffer.concat(texts.map(frame));
        // The reference: the whole stream in one chunk.
        const whole = new FrameReader(make(limit), limit);
        whole.push(Buffer.from(stream));
        const expected = outcomes(drain(whole)).map(short);

        const reader = new FrameReader(make(limit), limit);
        const got: string[] = [];
        let at = 0;
        while (at < stream.length) {
          const size = 1 + Math.floor(next() ** 2 * 20_000);
          // Each chunk its own memory, as the socket gives them.
          reader.push(Buffer.from(stream.subarray(at, at + size)));
          at += size;
          // Sometimes delivery is held across chunks (a paused connection).
          if (next() < 0.7) got.push(...outcomes(drain(reader)).map(short));
        }
        got.push(...outcomes(drain(reader)).map(short));
        expect(got.filter(keep), `seed ${seed}`).toEqual(expected.filter(keep));
        expect(got.some((o) => o === "drop:too_large")).toBe(longest > limit);
        expect(reader.buffered, `seed ${seed}`).toBe(0);
      }
    });
  }
});
