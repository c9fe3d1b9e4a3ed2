import { runProtocolConformance } from "@taurus/core-conn/testing";
import { describe, expect, it } from "vitest";
import { createLineProtocol } from "./index.js";

runProtocolConformance("lines (examples/)", {
  protocol: createLineProtocol(),
  samples: [
    "",
    "hello",
    "\u00fcn\u00efc\u00f6d\u00e9 \u{1f402}",
    "a tab\tand a carriage\rreturn inside",
    "x".repeat(1000),
  ],
  invalid: ["two\nlines", "ends with a carriage return\r", 42, null, "y".repeat(5000)],
  garbage: { family: "delimited", delimiter: "\n" },
});

describe("line protocol", () => {
  const lines = createLineProtocol({ maxMessageSize: 64 });
  const decode = (text: string | Buffer) => {
    const bytes = Buffer.from(text);
    return lines.createDecoder({ maxMessageSize: 64 }).decode(bytes, 0, bytes.length);
  };

  it("accepts CRLF line ends, as nc -C and telnet send them", () => {
    expect(decode("hi\r\n")).toEqual({ kind: "message", message: "hi", consumed: 4 });
  });

  it("drops a line that is not UTF-8 as malformed_body", () => {
    expect(decode(Buffer.from([0x61, 0xff, 0xfe, 0x0a]))).toMatchObject({
      kind: "drop",
      reason: "malformed_body",
      consumed: 4,
    });
  });

  it("resumes scanning where it stopped instead of rescanning the line", () => {
    const decoder = lines.createDecoder({ maxMessageSize: 64 });
    expect(decoder.decode(Buffer.from("abc"), 0, 3)).toEqual({ kind: "need_more" });
    // The same bytes come back, now at another place, with more after them. (They are
    // not the same bytes here: a decoder that rescanned would find this first newline.)
    const moved = Buffer.from("..\n\n\nd\n");
    expect(decoder.decode(moved, 2, moved.length)).toEqual({
      kind: "message",
      message: "\n\n\nd",
      consumed: 5,
    });
  });

  it("refuses maxMessageSize below 1", () => {
    expect(() => createLineProtocol({ maxMessageSize: 0 })).toThrow(
      expect.objectContaining({ code: "INVALID_OPTION" }),
    );
  });
});
