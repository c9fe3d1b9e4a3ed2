import { describe, expect, it } from "vitest";
import { DEFAULT_JSON_MAX_DEPTH, exceedsJsonDepth } from "./depth";
import { createJsonProtocol } from "./protocol";

const bytes = (text: string) => Buffer.from(text, "utf8");
const deep = (n: number) => `${"[".repeat(n)}${"]".repeat(n)}`;

/** A raw JSON frame around `body`. */
function frame(body: string): Buffer {
  const b = bytes(body);
  const header = Buffer.alloc(6);
  header[0] = 0xfe;
  header[1] = 0xff;
  header.writeUInt32BE(b.length, 2);
  return Buffer.concat([header, b]);
}

describe("exceedsJsonDepth", () => {
  it("counts nesting of objects and arrays, from 1 at the top", () => {
    expect(exceedsJsonDepth(bytes(deep(3)), 0, 6, 3)).toBe(false);
    expect(exceedsJsonDepth(bytes(deep(4)), 0, 8, 3)).toBe(true);
    const mixed = '{"a":[{"b":[1,{"c":2}]}]}';
    expect(exceedsJsonDepth(bytes(mixed), 0, mixed.length, 5)).toBe(false);
    expect(exceedsJsonDepth(bytes(mixed), 0, mixed.length, 4)).toBe(true);
  });

  it("ignores brackets inside strings, escaped quotes and backslashes included", () => {
    const text = `{"s":"${"[{".repeat(100)}\\"[[[\\\\","t":"\\u005b"}`;
    expect(exceedsJsonDepth(bytes(text), 0, bytes(text).length, 1)).toBe(false);
    const after = `{"s":"\\\\",${'"x":'.repeat(1)}[[1]]}`;
    expect(exceedsJsonDepth(bytes(after), 0, bytes(after).length, 2)).toBe(true);
    expect(exceedsJsonDepth(bytes(after), 0, bytes(after).length, 3)).toBe(false);
  });

  it("scans only [start, end)", () => {
    const text = `xx${deep(10)}yy`;
    expect(exceedsJsonDepth(bytes(text), 2, 12, 4)).toBe(true);
    expect(exceedsJsonDepth(bytes(text), 2, 7, 5)).toBe(false);
    expect(exceedsJsonDepth(bytes(text), 0, 7, 5)).toBe(false);
  });
});

describe("the JSON protocol's depth limit", () => {
  it("drops a body nested deeper than 64 by default as malformed_body, without parsing it", () => {
    const json = createJsonProtocol();
    // The body is depth 1, data depth 2, so its value may nest 62 more levels (64 in all).
    expect(DEFAULT_JSON_MAX_DEPTH).toBe(64);
    const fits = frame(`{"type":2,"sequence":1,"data":{"x":${deep(62)}},"timestamp":1}`);
    expect(json.decode(fits, 0, fits.length, 1 << 20).kind).toBe("message");
    const over = frame(`{"type":2,"sequence":1,"data":{"x":${deep(63)}},"timestamp":1}`);
    const r = json.decode(over, 0, over.length, 1 << 20);
    expect(r).toMatchObject({ kind: "drop", reason: "malformed_body", consumed: over.length });
  });

  it("drops 500,000 levels at once (the attack: no recursion, linear time)", () => {
    const json = createJsonProtocol();
    const attack = frame(`{"type":2,"sequence":1,"data":{"x":${deep(500_000)}},"timestamp":1}`);
    const r = json.decode(attack, 0, attack.length, 2 << 20);
    expect(r).toMatchObject({ kind: "drop", reason: "malformed_body" });
  });

  it("takes maxDepth as an option, Infinity included, and validates it", () => {
    const body = `{"type":2,"sequence":1,"data":{"x":${deep(100)}},"timestamp":1}`;
    const f = frame(body);
    expect(createJsonProtocol({ maxDepth: 200 }).decode(f, 0, f.length, 1 << 20).kind).toBe(
      "message",
    );
    expect(
      createJsonProtocol({ maxDepth: Number.POSITIVE_INFINITY }).decode(f, 0, f.length, 1 << 20)
        .kind,
    ).toBe("message");
    expect(() => createJsonProtocol({ maxDepth: 0 })).toThrow(
      expect.objectContaining({
        code: "INVALID_OPTION",
        message: expect.stringContaining("maxDepth"),
      }),
    );
  });
});
