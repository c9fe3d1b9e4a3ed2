import { crc32 as zlibCrc32 } from "node:zlib";
import { NEED_MORE, TaurusError } from "@taurus/core-conn";
import { runProtocolConformance } from "@taurus/core-conn/testing";
import { describe, expect, it } from "vitest";
import { crc32, crc32Native, crc32Table } from "./crc32";
import {
  BINARY_FRAME_OVERHEAD,
  BINARY_MAGIC,
  createBinaryProtocol,
  DEFAULT_BINARY_MAX_MESSAGE_SIZE,
} from "./index";
import type { BinaryMessage } from "./message";

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(TaurusError);
    return (err as TaurusError).code;
  }
  return undefined;
}

/** A small deterministic PRNG (mulberry32), so failures reproduce. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const msg = (over: Partial<BinaryMessage> = {}): BinaryMessage => ({
  version: 1,
  type: 2,
  sequence: 3,
  data: new Uint8Array([1, 2, 3]),
  ...over,
});

describe("createBinaryProtocol", () => {
  it("has the Go defaults", () => {
    const p = createBinaryProtocol();
    expect(p.name).toBe("binary");
    expect(p.maxMessageSize).toBe(10485760);
    expect(DEFAULT_BINARY_MAX_MESSAGE_SIZE).toBe(10485760);
    expect(BINARY_MAGIC).toBe(0xcafe);
  });

  it.each([0, -1, 18, 1.5, Number.NaN, Number.POSITIVE_INFINITY, "64", 2 ** 53])(
    "rejects maxMessageSize %s with INVALID_OPTION",
    (value) => {
      expect(codeOf(() => createBinaryProtocol({ maxMessageSize: value as number }))).toBe(
        "INVALID_OPTION",
      );
    },
  );

  it("accepts the smallest limit, 19", () => {
    const p = createBinaryProtocol({ maxMessageSize: 19 });
    const frame = p.encode(msg({ data: new Uint8Array(0) }));
    expect(frame.length).toBe(19);
    expect(codeOf(() => p.encode(msg({ data: new Uint8Array(1) })))).toBe("MESSAGE_TOO_LARGE");
  });
});

describe("encode", () => {
  const p = createBinaryProtocol();

  it.each<[string, Partial<BinaryMessage>]>([
    ["version 256", { version: 256 }],
    ["version -1", { version: -1 }],
    ["version 1.5", { version: 1.5 }],
    ["type 2^32", { type: 2 ** 32 }],
    ["type -1", { type: -1 }],
    ["type NaN", { type: Number.NaN }],
    ["type as string", { type: "1" as unknown as number }],
    ["sequence 2^32", { sequence: 2 ** 32 }],
    ["sequence 0.5", { sequence: 0.5 }],
    ["data as string", { data: "abc" as unknown as Uint8Array }],
    ["data as array", { data: [1, 2] as unknown as Uint8Array }],
    ["data missing", { data: undefined as unknown as Uint8Array }],
  ])("refuses %s with INVALID_MESSAGE", (_name, over) => {
    expect(codeOf(() => p.encode(msg(over)))).toBe("INVALID_MESSAGE");
  });

  it("refuses a non-object message with INVALID_MESSAGE", () => {
    expect(codeOf(() => p.encode(null as unknown as BinaryMessage))).toBe("INVALID_MESSAGE");
  });

  it("refuses a frame over maxMessageSize with MESSAGE_TOO_LARGE", () => {
    const small = createBinaryProtocol({ maxMessageSize: 64 });
    expect(small.encode(msg({ data: new Uint8Array(45) })).length).toBe(64);
    expect(codeOf(() => small.encode(msg({ data: new Uint8Array(46) })))).toBe("MESSAGE_TOO_LARGE");
  });

  it("round-trips maximum field values and empty data", () => {
    for (const m of [
      msg({ version: 255, type: 0xffffffff, sequence: 0xffffffff }),
      msg({ version: 0, type: 0, sequence: 0, data: new Uint8Array(0) }),
    ]) {
      const frame = Buffer.from(p.encode(m));
      const result = p.decode(frame, 0, frame.length, p.maxMessageSize);
      expect(result).toEqual({ kind: "message", consumed: frame.length, message: m });
    }
  });

  it("accepts any Uint8Array view (Buffer, subarray) and round-trips payloads of many sizes", () => {
    const random = rng(1);
    for (const size of [1, 7, 8, 63, 64, 191, 192, 1000, 4096, 70000]) {
      const backing = new Uint8Array(size + 10).map(() => Math.floor(random() * 256));
      const data = backing.subarray(5, 5 + size);
      const frame = Buffer.from(p.encode(msg({ data })));
      expect(frame.length).toBe(BINARY_FRAME_OVERHEAD + size);
      const result = p.decode(frame, 0, frame.length, p.maxMessageSize);
      expect(result.kind).toBe("message");
      if (result.kind === "message")
        expect(Buffer.from(result.message.data).equals(data)).toBe(true);
    }
  });
});

describe("decode", () => {
  const p = createBinaryProtocol();
  const frame = Buffer.from(p.encode(msg({ data: Buffer.from("hello") })));

  it("returns a copy of data, not a view into the buffer", () => {
    const bytes = Buffer.from(frame);
    const result = p.decode(bytes, 0, bytes.length, p.maxMessageSize);
    if (result.kind !== "message") throw new Error("expected a message");
    bytes.fill(0);
    expect(Buffer.from(result.message.data).toString()).toBe("hello");
    expect(result.message.data.buffer).not.toBe(bytes.buffer);
  });

  it("needs more for a lone 0xCA or a partial header or frame", () => {
    expect(p.decode(Buffer.from([0xca]), 0, 1, p.maxMessageSize)).toBe(NEED_MORE);
    for (let n = 2; n < frame.length; n++)
      expect(p.decode(frame, 0, n, p.maxMessageSize)).toBe(NEED_MORE);
  });

  it("keeps a trailing 0xCA when there is no magic, dropping the rest", () => {
    const bytes = Buffer.from([1, 2, 0xca, 3, 0xca]);
    expect(p.decode(bytes, 0, 5, p.maxMessageSize)).toMatchObject({
      kind: "drop",
      consumed: 4,
      reason: "invalid_format",
    });
    expect(p.decode(bytes, 4, 5, p.maxMessageSize)).toBe(NEED_MORE);
  });

  it("does not read past end when looking for the magic", () => {
    const bytes = Buffer.from([1, 2, 0xca, 0xfe]);
    expect(p.decode(bytes, 0, 3, p.maxMessageSize)).toMatchObject({ kind: "drop", consumed: 2 });
  });

  it("drops a too-large frame from its header alone, whole", () => {
    const small = createBinaryProtocol({ maxMessageSize: 64 });
    const header = Buffer.from(p.encode(msg({ data: new Uint8Array(1000) })).subarray(0, 15));
    expect(small.decode(header, 0, 15, small.maxMessageSize)).toMatchObject({
      kind: "drop",
      consumed: 1019,
      reason: "too_large",
    });
    expect(small.decode(header, 0, 14, small.maxMessageSize)).toBe(NEED_MORE);
  });

  it("drops a frame whose CRC does not match", () => {
    for (let i = 2; i < frame.length; i++) {
      if (i >= 11 && i < 15) continue; // a damaged length changes the frame's extent
      const bad = Buffer.from(frame);
      bad[i] = (bad[i] as number) ^ 0x01;
      expect(p.decode(bad, 0, bad.length, p.maxMessageSize)).toMatchObject({
        kind: "drop",
        reason: "checksum",
        consumed: frame.length,
      });
    }
  });

  it("never throws and never consumes 0 bytes, on random and damaged input", () => {
    const random = rng(42);
    const small = createBinaryProtocol({ maxMessageSize: 256 });
    for (let round = 0; round < 2000; round++) {
      const parts: Buffer[] = [];
      while (parts.length < 4) {
        const r = random();
        if (r < 0.3) parts.push(Buffer.from(frame));
        else if (r < 0.5) parts.push(Buffer.from([0xca, 0xfe]));
        else if (r < 0.6) parts.push(Buffer.from([0xca]));
        else
          parts.push(
            Buffer.from(
              Array.from({ length: Math.floor(random() * 40) }, () => Math.floor(random() * 256)),
            ),
          );
      }
      const bytes = Buffer.concat(parts);
      if (random() < 0.5 && bytes.length > 0) {
        bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
      }
      for (const proto of [p, small]) {
        let start = 0;
        while (start < bytes.length) {
          const result = proto.decode(bytes, start, bytes.length, proto.maxMessageSize);
          if (result.kind === "need_more") break;
          if (result.kind === "fatal") throw new Error(`unexpected fatal result: ${result.reason}`);
          expect(result.consumed).toBeGreaterThanOrEqual(1);
          start += result.consumed;
        }
        // Garbage never accumulates: what is left waiting starts with (half) a magic.
        if (start < bytes.length) expect(bytes[start]).toBe(0xca);
      }
    }
  });
});

describe("crc32", () => {
  it("the table and zlib agree for every length up to 600 and at offsets", () => {
    const random = rng(7);
    const bytes = new Uint8Array(700).map(() => Math.floor(random() * 256));
    for (let len = 0; len <= 600; len++) {
      const off = len % 13;
      const expected = zlibCrc32(bytes.subarray(off, off + len));
      expect(crc32Table(bytes, off, off + len)).toBe(expected);
      expect(crc32Native(bytes, off, off + len)).toBe(expected);
      expect(crc32(bytes, off, off + len)).toBe(expected);
    }
  });
});

runProtocolConformance("binary", {
  protocol: createBinaryProtocol({ maxMessageSize: 4096 }),
  samples: [
    { version: 0, type: 0, sequence: 0, data: new Uint8Array(0) },
    {
      version: 255,
      type: 0xffffffff,
      sequence: 0xffffffff,
      data: new Uint8Array([0xca, 0xfe, 0xca]),
    },
    { version: 1, type: 2, sequence: 3, data: new Uint8Array(300).map((_, i) => i & 0xff) },
  ],
  invalid: [
    null,
    { version: 256, type: 1, sequence: 1, data: new Uint8Array(0) },
    { version: 1, type: -1, sequence: 1, data: new Uint8Array(0) },
    { version: 1, type: 1, sequence: 2 ** 32, data: new Uint8Array(0) },
    { version: 1, type: 1, sequence: 1, data: "text" },
    { version: 1, type: 1, sequence: 1, data: new Uint8Array(5000) },
  ],
  garbage: { family: "magic", magic: [0xca, 0xfe] },
});

describe("decode limit argument", () => {
  const p = createBinaryProtocol({ maxMessageSize: 100 });
  const frame = Buffer.from(
    p.encode({ version: 0, type: 0, sequence: 0, data: new Uint8Array(50) }),
  );

  it("applies a lower connection limit, never a higher one, and ignores a missing one", () => {
    expect(p.decode(frame, 0, frame.length, 60).kind).toBe("drop");
    expect(p.decode(frame, 0, frame.length, 1000).kind).toBe("message");
    const big = Buffer.from(
      createBinaryProtocol().encode({
        version: 0,
        type: 0,
        sequence: 0,
        data: new Uint8Array(200),
      }),
    );
    expect(p.decode(big, 0, big.length, 1000)).toMatchObject({ kind: "drop", reason: "too_large" });
    expect(p.decode(big, 0, big.length, undefined as unknown as number)).toMatchObject({
      kind: "drop",
      reason: "too_large",
    });
  });
});
