// The conformance kit, tested on protocols that pass it and on protocols it must catch.
import { describe, expect, it } from "vitest";
import { createLegacyLineProtocol, createLineProtocol, scanStats } from "../../fixtures/lines";
import { type Blob, createMsgpackProtocol } from "../../fixtures/msgpack";
import { createTinyProtocol, tinyGarbage } from "../../fixtures/tiny-protocol";
import { createU16Protocol } from "../../fixtures/u16";
import type { Protocol } from "../../protocol";
import { decodeStream } from "../decode-stream";
import { conformanceChecks } from "./checks";
import type { ConformanceOptions } from "./options";
import { runProtocolConformance } from "./run";

const lineSamples = ["", "hello", "x".repeat(40), "\u00fcn\u00efc\u00f6d\u00e9 \u{1f402}"];
const delimited = { garbage: { family: "delimited", delimiter: "\n" }, runs: 50 } as const;
const lines = {
  samples: lineSamples,
  invalid: ["two\nlines", 42, "y".repeat(100)],
  garbage: { family: "delimited", delimiter: "\n" },
  runs: 100,
} as const;

const blobs: Blob[] = [
  { id: 0, blob: new Uint8Array(0) },
  { id: 1, blob: Uint8Array.from([0x92, 0xce, 0x92]) },
  { id: 0xffffffff, blob: new Uint8Array(700).map((_, i) => (i * 7) & 0xff) },
];
const magicGarbage = { family: "magic", magic: [0x92, 0xce] } as const;

runProtocolConformance("lines (contract v2: skips an over-long line through its newline)", {
  protocol: createLineProtocol(64),
  ...lines,
});

runProtocolConformance("msgpack-style (copies its binary values)", {
  protocol: createMsgpackProtocol(true),
  samples: blobs,
  invalid: [null, { id: 1, blob: new Uint8Array(5000) }],
  garbage: magicGarbage,
  runs: 100,
});

runProtocolConformance("u16 length prefix without a magic", {
  protocol: createU16Protocol(),
  samples: ["", "a", "x".repeat(300)],
  garbage: { family: "length-prefixed" },
  runs: 100,
});

runProtocolConformance("tiny (contract v1, with a garbage function)", {
  protocol: createTinyProtocol(),
  samples: ["", "hello", "x".repeat(300), "\u00ab\u00ab"],
  invalid: [42, "y".repeat(2000)],
  garbage: tinyGarbage,
  runs: 100,
});

/** Runs every check; returns the failed ones with their messages. */
function failures<M>(options: ConformanceOptions<M>): { name: string; message: string }[] {
  return conformanceChecks(options).flatMap((check) => {
    try {
      check.run();
      return [];
    } catch (err) {
      return [{ name: check.name, message: (err as Error).message }];
    }
  });
}

const names = (failed: { name: string }[]) => failed.map((f) => f.name);

describe("the conformance kit catches", () => {
  it("a decoder that keeps views into the receive buffer, and says so", () => {
    const failed = failures({
      protocol: createMsgpackProtocol(false),
      samples: blobs,
      garbage: magicGarbage,
      runs: 50,
    });
    expect(names(failed)).toContain(
      "keeps no views into the receive buffer (a long stream in odd chunks, bytes overwritten after decode)",
    );
    // Every check it fails gives the same diagnosis, not a bare inequality.
    for (const f of failed) expect(f.message, f.name).toMatch(/keeps views.*copyBytes\(\)/s);
  });

  it("a stateless line decoder that decodes the tail of a dropped line as a line", () => {
    const failed = failures({ protocol: createLegacyLineProtocol(64), ...lines });
    const oversize = failed.find((f) => f.name.startsWith("skips an oversized frame"));
    expect(oversize?.message).toMatch(
      /the rest of the oversized frame was decoded as a frame of its own/,
    );
    const garbage = failed.find((f) => f.name.startsWith("drops garbage"));
    // A garbage line longer than the limit: its newline comes in the same chunk, and the
    // whole over-long line is delivered as a message.
    expect(garbage?.message).toMatch(/over the limit of \d+: drop it as too_large/);
  });

  it("a stateless decoder whose dropped tail merely fails to parse (the old ndjson example)", () => {
    const lines = createLegacyLineProtocol(64);
    const decode = lines.decode as NonNullable<typeof lines.decode>;
    const ndjsonLike: Protocol<string> = {
      ...lines,
      // Lines are JSON strings here: a tail of x's never parses, so it is a malformed drop.
      encode: (m) => lines.encode(JSON.stringify(m)),
      decode(buffer, start, end, max) {
        const r = decode(buffer, start, end, max);
        if (r.kind !== "message") return r;
        try {
          return { ...r, message: JSON.parse(r.message) as string };
        } catch {
          return { kind: "drop", consumed: r.consumed, reason: "malformed_body" };
        }
      },
    };
    const failed = failures({ protocol: ndjsonLike, samples: ["", "x".repeat(40)], ...delimited });
    const oversize = failed.find((f) => f.name.startsWith("skips an oversized frame"));
    expect(oversize?.message).toMatch(/after the first drop came \{ drop: 'malformed_body'/);
  });

  it("decoders that share state between connections", () => {
    const shared = createLineProtocol(64).createDecoder?.({ maxMessageSize: 64 });
    const protocol: Protocol<string> = {
      ...createLineProtocol(64),
      createDecoder: () => shared as NonNullable<typeof shared>,
    };
    const failed = failures({ protocol, ...lines });
    expect(names(failed)).toContain("gives each connection a decoder of its own");
    const own = failed.find((f) => f.name === "gives each connection a decoder of its own");
    expect(own?.message).toMatch(/must not share state/);
  });

  it("encodeInto that writes other bytes than encode, or outside its frame", () => {
    const tiny = createTinyProtocol();
    const sloppy: Protocol<string> = {
      ...tiny,
      encodedLength: (m) => tiny.encode(m).length,
      encodeInto(m, target, offset) {
        const frame = tiny.encode(m);
        target.set(frame, offset);
        target[offset + frame.length] = 0; // one byte too many
        return frame.length;
      },
    };
    const failed = failures({ protocol: sloppy, samples: ["a", "bb"], garbage: tinyGarbage });
    expect(failed.map((f) => f.message).join("\n")).toMatch(/changed byte \d+, outside its frame/);
  });

  it("a decoder that throws, with the rule it breaks", () => {
    const protocol: Protocol<string> = {
      ...createTinyProtocol(),
      decode: () => {
        throw new Error("boom");
      },
    };
    const failed = failures({ protocol, samples: ["a", "bb"], garbage: tinyGarbage });
    expect(failed[0]?.message).toMatch(
      /decode threw on \d+ buffered bytes: boom\. A decoder must never throw/,
    );
  });

  it("an encoder that refuses with an untyped error", () => {
    const failed = failures({
      protocol: {
        ...createTinyProtocol(),
        encode: (m: string) => {
          if (m === "bad") throw new Error("nope");
          return createTinyProtocol().encode(m);
        },
      },
      samples: ["a", "bb"],
      invalid: ["bad"],
      garbage: tinyGarbage,
    });
    const refusal = failed.find((f) => f.name.startsWith("refuses invalid messages"));
    expect(refusal?.message).toMatch(/refuse with a TaurusError of code INVALID_MESSAGE/);
  });

  it("a missing garbage option, and says what to set", () => {
    const failed = failures({ protocol: createTinyProtocol(), samples: ["a", "bb"] });
    expect(failed).toHaveLength(1);
    expect(failed[0]?.message).toMatch(/family: "magic".*family: "delimited".*skip/s);
  });

  it("nothing in a conforming protocol, and records an opt-out's reason", () => {
    const checks = conformanceChecks({
      protocol: createTinyProtocol(),
      samples: ["a", "bb"],
      garbage: { skip: "this fixture has no garbage story" },
      runs: 20,
    });
    expect(checks.map((c) => c.name)).toContain(
      "garbage is not checked: this fixture has no garbage story",
    );
    for (const check of checks) check.run();
  });
});

describe("the v2 line decoder of the fixtures", () => {
  it("scans each byte once when a line arrives one byte at a time", () => {
    const line = Buffer.from(`${"z".repeat(1000)}\n`);
    scanStats.bytes = 0;
    const chunks = Array.from(line, (b) => Uint8Array.of(b));
    const { events } = decodeStream(createLineProtocol(2048), chunks);
    expect(events).toEqual([{ message: "z".repeat(1000) }]);
    expect(scanStats.bytes).toBe(line.length);
  });

  it("is refused by the kit without a decoder", () => {
    expect(() =>
      decodeStream({ name: "none", maxMessageSize: 10, encode: () => new Uint8Array(1) }, []),
    ).toThrow(/neither createDecoder\(\) \(contract v2\) nor decode\(\)/);
  });
});
