import { describe, expect, it } from "vitest";
import { parseAddress, parseDuration } from "./args";
import { binaryKit, jsonKit, describe as line } from "./kits";
import { printable } from "./sanitize";
import { spokenBy } from "./sniff";

describe("printable", () => {
  it("takes out terminal escapes, controls and bidi overrides, and turns line breaks into spaces", () => {
    expect(printable("a\x1b[31mred\x1b[0m b")).toBe("ared b");
    expect(printable("title\x1b]0;pwned\x07!")).toBe("title!");
    expect(printable("one\r\ntwo\tthree")).toBe("one  two three");
    expect(printable("bell\x07 nul\x00 del\x7f c1\x9b")).toBe("bell nul del c1");
    expect(printable("abc\u202edcba\u2066x\u2069")).toBe("abcdcbax");
    expect(printable("加入了聊天室 ok")).toBe("加入了聊天室 ok");
  });
});

describe("arguments", () => {
  it("reads addresses and durations", () => {
    expect(parseAddress("[::1]:80")).toEqual({ host: "::1", port: 80 });
    expect(parseAddress("9000")).toEqual({ host: "127.0.0.1", port: 9000 });
    expect(parseAddress("0", true).port).toBe(0);
    expect(() => parseAddress("0")).toThrow();
    expect(() => parseAddress(":80")).toThrow();
    expect(parseDuration("t", "1.5s")).toBe(1500);
    expect(parseDuration("t", "2m")).toBe(120_000);
    expect(() => parseDuration("t", "soon")).toThrow(/--t/);
  });
});

describe("kits", () => {
  it("show JSON timestamps exactly and binary data as text or base64", () => {
    const json = jsonKit();
    const m = json.message(
      { type: 5, timestamp: "1700000000000000001", data: { k: 1 } },
      { type: 2, sequence: 9, from: "x" },
    );
    expect(m).toEqual({ type: 5, sequence: 9, data: { k: 1 }, timestamp: 1700000000000000001n });
    expect(JSON.stringify(json.view(m))).toContain('"timestamp":"1700000000000000001"');
    expect(() =>
      json.message({ timestamp: "soon" }, { type: 2, sequence: 1, from: "x" }),
    ).toThrow();
    const binary = binaryKit();
    const raw = binary.message({ data: { base64: "/wA=" } }, { type: 2, sequence: 1, from: "x" });
    expect(binary.view(raw).data).toEqual({ base64: "/wA=" });
    expect(
      line(binary as never, binary.chat("hi\x1b[2J", { type: 2, sequence: 3, from: "eve" })),
    ).toBe("#3 user eve: hi");
  });

  it("tell protocols apart by their first bytes", () => {
    expect(spokenBy(Buffer.from([0xfe, 0xff, 0]))).toBe("json");
    expect(spokenBy(Buffer.from([0xca, 0xfe, 1]))).toBe("binary");
    expect(spokenBy(Buffer.from("HTTP/1.1 400"))).toBe("http");
    expect(spokenBy(Buffer.from("hello"))).toBe("unknown");
  });
});
