import { NEED_MORE, TaurusError } from "@taurus/core-conn";
import { runProtocolConformance } from "@taurus/core-conn/testing";
import { describe, expect, it } from "vitest";
import { createJsonProtocol, DEFAULT_JSON_MAX_MESSAGE_SIZE, JSON_MAGIC } from "./index";
import type { JsonMessage } from "./message";

const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(TaurusError);
    return (err as TaurusError).code;
  }
  return undefined;
}

/** A frame around an arbitrary body, as a peer could send it. */
function frameOf(body: string | Buffer): Buffer {
  const bytes = typeof body === "string" ? Buffer.from(body, "utf8") : body;
  const header = Buffer.from([0xfe, 0xff, 0, 0, 0, 0]);
  header.writeUInt32BE(bytes.length, 2);
  return Buffer.concat([header, bytes]);
}

const json = createJsonProtocol();
const decode = (bytes: Buffer, limit = json.maxMessageSize) =>
  json.decode(bytes, 0, bytes.length, limit);
const decodeBody = (body: string | Buffer) => decode(frameOf(body));

const msg = (over: Partial<JsonMessage> = {}): JsonMessage => ({
  type: 2,
  sequence: 1,
  data: { from: "alice", to: "", content: "hi" },
  timestamp: 1732412345123456789n,
  ...over,
});

describe("createJsonProtocol", () => {
  it("has the Go defaults", () => {
    expect(json.name).toBe("json");
    expect(json.maxMessageSize).toBe(10485760);
    expect(DEFAULT_JSON_MAX_MESSAGE_SIZE).toBe(10485760);
    expect(JSON_MAGIC).toBe(0xfeff);
  });

  it.each([0, -1, 5, 1.5, Number.NaN, Number.POSITIVE_INFINITY, "64", 2 ** 53])(
    "rejects maxMessageSize %s with INVALID_OPTION",
    (value) => {
      expect(codeOf(() => createJsonProtocol({ maxMessageSize: value as number }))).toBe(
        "INVALID_OPTION",
      );
    },
  );
});

describe("encode", () => {
  class Custom {
    a = 1;
  }
  const circular: Record<string, unknown> = {};
  circular.self = circular;

  it.each<[string, Partial<JsonMessage>]>([
    ["type 0", { type: 0 }],
    ["type 2^32", { type: 2 ** 32 }],
    ["type 1.5", { type: 1.5 }],
    ["type as string", { type: "1" as unknown as number }],
    ["sequence 0", { sequence: 0 }],
    ["sequence -1", { sequence: -1 }],
    ["data as array", { data: [1, 2] as unknown as Record<string, unknown> }],
    ["data as string", { data: "x" as unknown as Record<string, unknown> }],
    ["data as number", { data: 1 as unknown as Record<string, unknown> }],
    ["data undefined", { data: undefined as unknown as null }],
    ["data a Date", { data: new Date() as unknown as Record<string, unknown> }],
    ["data a class instance", { data: new Custom() as unknown as Record<string, unknown> }],
    ["data a Map", { data: new Map() as unknown as Record<string, unknown> }],
    ["data with a bigint inside", { data: { n: 1n } }],
    ["data circular", { data: circular }],
    ["data whose toJSON returns an array", { data: { toJSON: () => [1] } }],
    ["timestamp as number", { timestamp: 1 as unknown as bigint }],
    ["timestamp over int64", { timestamp: INT64_MAX + 1n }],
    ["timestamp under int64", { timestamp: INT64_MIN - 1n }],
  ])("refuses %s with INVALID_MESSAGE", (_name, over) => {
    expect(codeOf(() => json.encode(msg(over)))).toBe("INVALID_MESSAGE");
  });

  it("refuses a non-object message with INVALID_MESSAGE", () => {
    expect(codeOf(() => json.encode(null as unknown as JsonMessage))).toBe("INVALID_MESSAGE");
  });

  it("refuses a frame over maxMessageSize with MESSAGE_TOO_LARGE, counting UTF-8 bytes", () => {
    const base = json.encode(msg({ data: { s: "" } })).length;
    const small = createJsonProtocol({ maxMessageSize: base + 6 });
    expect(small.encode(msg({ data: { s: "é€" } })).length).toBe(base + 5);
    expect(codeOf(() => small.encode(msg({ data: { s: "é€é" } })))).toBe("MESSAGE_TOO_LARGE");
  });

  it("writes Go's field order and the exact timestamp digits", () => {
    const frame = Buffer.from(json.encode(msg({ data: null, timestamp: INT64_MAX })));
    expect(frame.readUInt16BE(0)).toBe(0xfeff);
    expect(frame.readUInt32BE(2)).toBe(frame.length - 6);
    expect(frame.subarray(6).toString()).toBe(
      `{"type":2,"sequence":1,"data":null,"timestamp":9223372036854775807}`,
    );
  });

  it("replaces timestamp 0n by the current time in nanoseconds", () => {
    const before = BigInt(Date.now()) * 1_000_000n;
    const frame = Buffer.from(json.encode(msg({ timestamp: 0n })));
    const after = BigInt(Date.now()) * 1_000_000n;
    const result = decode(frame);
    if (result.kind !== "message") throw new Error("expected a message");
    expect(result.message.timestamp >= before && result.message.timestamp <= after).toBe(true);
  });

  it("round-trips extreme values", () => {
    for (const m of [
      msg({ type: 0xffffffff, sequence: 0xffffffff, timestamp: INT64_MAX }),
      msg({ type: 1, sequence: 1, timestamp: INT64_MIN, data: {} }),
      msg({ timestamp: -1n, data: null }),
      msg({ timestamp: 2n ** 53n + 1n }),
      msg({ data: { nested: { a: [1, "x", true, null], "<&>": "\u2028 é 😀" }, timestamp: 1 } }),
    ]) {
      const frame = Buffer.from(json.encode(m));
      expect(decode(frame)).toEqual({ kind: "message", consumed: frame.length, message: m });
    }
  });
});

describe("decode: exact timestamps", () => {
  const at = (body: string) => {
    const r = decodeBody(body);
    return r.kind === "message" ? r.message.timestamp : r;
  };

  it("keeps every digit, wherever the key is", () => {
    expect(at(`{"type":1,"sequence":1,"data":null,"timestamp":1732412345123456789}`)).toBe(
      1732412345123456789n,
    );
    expect(at(`{"timestamp":1732412345123456789,"type":1,"sequence":1,"data":null}`)).toBe(
      1732412345123456789n,
    );
    expect(at(` { "type" : 1 , "timestamp" : -9223372036854775808 , "sequence" : 1 } `)).toBe(
      INT64_MIN,
    );
    expect(at(`{"type":1,"sequence":1,"timestam\\u0070":1732412345123456789}`)).toBe(
      1732412345123456789n,
    );
  });

  it("round-trips timestamps of every digit count, both signs", () => {
    const values = [1n, 9n, 10n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, INT64_MAX, INT64_MIN];
    for (let digits = 1n, p = 1n; digits <= 19n; digits++, p *= 10n) {
      values.push(p, p * 10n - 1n, p + 7n, p * 7n + 123456789n);
    }
    for (const v of values) {
      for (const timestamp of [v, -v]) {
        if (timestamp === 0n || timestamp > INT64_MAX || timestamp < INT64_MIN) continue;
        const frame = Buffer.from(json.encode(msg({ timestamp })));
        const r = decode(frame);
        expect(r.kind === "message" && r.message.timestamp).toBe(timestamp);
      }
    }
  });

  it("ignores timestamp keys inside data and strings", () => {
    expect(
      at(
        `{"type":1,"data":{"timestamp":1111111111111111111,"s":"\\",\\"timestamp\\":2222222222222222222}"},"timestamp":1732412345123456789,"sequence":1}`,
      ),
    ).toBe(1732412345123456789n);
    expect(
      at(
        `{"type":1,"sequence":1,"timestamp":1732412345123456789,"data":{"x":"\\"timestamp\\":3333333333333333333}"}}`,
      ),
    ).toBe(1732412345123456789n);
    expect(
      at(
        `{"type":1,"sequence":1,"timestamp":1732412345123456789,"data":{"timestamp":4444444444444444444}}`,
      ),
    ).toBe(1732412345123456789n);
  });

  it("takes the last of duplicate keys, as JSON.parse and Go do", () => {
    expect(
      at(`{"type":1,"sequence":1,"timestamp":1111111111111111111,"timestamp":1732412345123456789}`),
    ).toBe(1732412345123456789n);
    expect(
      at(`{"type":1,"sequence":1,"timestamp":1732412345123456789,"timestamp":5,"data":{}}`),
    ).toBe(5n);
  });

  it.each([
    `{"type":1,"sequence":1,"timestamp":9223372036854775808}`,
    `{"type":1,"sequence":1,"timestamp":-9223372036854775809}`,
    `{"type":1,"sequence":1,"timestamp":1.7e18}`,
    `{"type":1,"sequence":1,"timestamp":1e300}`,
    `{"type":1,"sequence":1,"timestamp":1.5}`,
    `{"type":1,"sequence":1,"timestamp":"5"}`,
  ])("drops %s as malformed_body (not an int64)", (body) => {
    expect(decodeBody(body)).toMatchObject({ kind: "drop", reason: "malformed_body" });
  });
});

describe("decode: body shape, as Go unmarshals it", () => {
  it.each([
    [`{"type":1,"sequence":1,"timestamp":5`, "malformed_body"],
    [``, "malformed_body"],
    [`[1,2]`, "malformed_body"],
    [`"text"`, "malformed_body"],
    [`{"type":1.5,"sequence":1,"timestamp":5}`, "malformed_body"],
    [`{"type":-1,"sequence":1,"timestamp":5}`, "malformed_body"],
    [`{"type":4294967296,"sequence":1,"timestamp":5}`, "malformed_body"],
    [`{"type":"1","sequence":1,"timestamp":5}`, "malformed_body"],
    [`{"type":1,"sequence":true,"timestamp":5}`, "malformed_body"],
    [`{"type":1,"sequence":1,"data":[1],"timestamp":5}`, "malformed_body"],
    [`{"type":1,"sequence":1,"data":"x","timestamp":5}`, "malformed_body"],
    [`{"type":0,"sequence":1,"timestamp":5}`, "invalid_format"],
    [`{"sequence":1,"timestamp":5}`, "invalid_format"],
    [`{"type":1,"sequence":0,"timestamp":5}`, "invalid_format"],
    [`{"type":1,"sequence":1,"timestamp":0}`, "invalid_format"],
    [`{"type":1,"sequence":1}`, "invalid_format"],
    [`null`, "invalid_format"],
  ])("drops %s as %s, consuming the whole frame", (body, reason) => {
    const frame = frameOf(body);
    expect(decode(frame)).toMatchObject({ kind: "drop", reason, consumed: frame.length });
  });

  it("gives the parser's message as the detail of malformed JSON", () => {
    const r = decodeBody(`{"type":1,`);
    expect(r.kind === "drop" && typeof r.detail === "string" && r.detail.length > 0).toBe(true);
  });

  it("accepts a missing data as null and extra keys", () => {
    expect(decodeBody(`{"type":1,"sequence":2,"timestamp":3,"extra":[1]}`)).toMatchObject({
      kind: "message",
      message: { type: 1, sequence: 2, data: null, timestamp: 3n },
    });
  });

  it("decodes invalid UTF-8 to U+FFFD instead of failing", () => {
    const body = Buffer.concat([
      Buffer.from(`{"type":1,"sequence":1,"data":{"s":"`),
      Buffer.from([0xff, 0xc3]),
      Buffer.from(`"},"timestamp":1}`),
    ]);
    expect(decodeBody(body)).toMatchObject({
      kind: "message",
      message: { data: { s: "\ufffd\ufffd" } },
    });
  });
});

describe("decode: framing", () => {
  const frame = Buffer.from(json.encode(msg()));

  it("needs more for a lone 0xFE or a partial header or frame", () => {
    expect(decode(Buffer.from([0xfe]))).toBe(NEED_MORE);
    for (let n = 2; n < frame.length; n++)
      expect(json.decode(frame, 0, n, json.maxMessageSize)).toBe(NEED_MORE);
  });

  it("reads only [start, end)", () => {
    const bytes = Buffer.concat([
      Buffer.from([0xfe, 0xff, 0xfe]),
      frame,
      Buffer.from([0xfe, 0xff]),
    ]);
    expect(json.decode(bytes, 3, 3 + frame.length, json.maxMessageSize)).toEqual({
      kind: "message",
      consumed: frame.length,
      message: msg(),
    });
    expect(json.decode(Buffer.from([1, 2, 0xfe, 0xff]), 0, 3, json.maxMessageSize)).toMatchObject({
      kind: "drop",
      consumed: 2,
    });
  });

  it("drops a too-large frame from its header alone, whole, under the lower of the two limits", () => {
    const header = frame.subarray(0, 6);
    expect(decode(header, 64)).toMatchObject({
      kind: "drop",
      reason: "too_large",
      consumed: frame.length,
    });
    expect(decode(header.subarray(0, 5), 64)).toBe(NEED_MORE);
    const small = createJsonProtocol({ maxMessageSize: 64 });
    expect(small.decode(frame, 0, frame.length, 1000)).toMatchObject({
      kind: "drop",
      reason: "too_large",
    });
    expect(small.decode(frame, 0, frame.length, undefined as unknown as number)).toMatchObject({
      reason: "too_large",
    });
  });

  it("never throws and never consumes 0 bytes, on random and damaged input", () => {
    let seed = 42;
    const random = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x80000000;
    };
    const small = createJsonProtocol({ maxMessageSize: 256 });
    for (let round = 0; round < 2000; round++) {
      const parts: Buffer[] = [];
      while (parts.length < 4) {
        const r = random();
        if (r < 0.3) parts.push(Buffer.from(frame));
        else if (r < 0.5) parts.push(Buffer.from([0xfe, 0xff]));
        else if (r < 0.6) parts.push(Buffer.from([0xfe]));
        else
          parts.push(
            Buffer.from(
              Array.from({ length: Math.floor(random() * 40) }, () => Math.floor(random() * 256)),
            ),
          );
      }
      const bytes = Buffer.concat(parts);
      if (random() < 0.7 && bytes.length > 0) {
        bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
      }
      for (const proto of [json, small]) {
        let start = 0;
        while (start < bytes.length) {
          const result = proto.decode(bytes, start, bytes.length, proto.maxMessageSize);
          if (result.kind === "need_more") break;
          if (result.kind === "fatal") throw new Error(`unexpected fatal result: ${result.reason}`);
          expect(result.consumed).toBeGreaterThanOrEqual(1);
          start += result.consumed;
        }
        // Garbage never accumulates: what is left waiting starts with (half) a magic.
        if (start < bytes.length) expect(bytes[start]).toBe(0xfe);
      }
    }
  });
});

runProtocolConformance("json", {
  protocol: createJsonProtocol({ maxMessageSize: 4096 }),
  samples: [
    { type: 1, sequence: 1, data: null, timestamp: 1n },
    { type: 0xffffffff, sequence: 0xffffffff, data: {}, timestamp: INT64_MAX },
    {
      type: 2,
      sequence: 3,
      data: { from: "alice", to: "", content: "x".repeat(300), s: "\u00fe\u00ff" },
      timestamp: 1732412345123456789n,
    },
  ],
  invalid: [
    null,
    msg({ type: 0 }),
    msg({ sequence: 2 ** 32 }),
    msg({ data: [] as unknown as null }),
    msg({ timestamp: 5 as unknown as bigint }),
    msg({ data: { big: "x".repeat(5000) } }),
  ],
  garbage: { family: "magic", magic: [0xfe, 0xff] },
});
