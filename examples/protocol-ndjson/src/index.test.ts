import { decodeStream, runProtocolConformance } from "@taurus/core-conn/testing";
import { describe, expect, it } from "vitest";
import { createNdjsonProtocol } from "./index.js";

runProtocolConformance("ndjson (examples/)", {
  protocol: createNdjsonProtocol(4096),
  samples: [
    {},
    { a: 1 },
    { text: "line\nbreak inside a string" },
    { big: "x".repeat(1000), n: [1, 2, 3] },
  ],
  invalid: [[1, 2], "text", null, { huge: "y".repeat(5000) }],
  garbage: { family: "delimited", delimiter: "\n" },
});

describe("ndjson", () => {
  it("drops a line that is not a JSON object, and decodes the next", () => {
    const ndjson = createNdjsonProtocol(4096);
    const { events } = decodeStream(ndjson, [Buffer.from('# a comment\n[1]\n{"ok":true}\n')]);
    expect(events).toEqual([
      { drop: "malformed_body", consumed: 12 },
      { drop: "malformed_body", consumed: 4 },
      { message: { ok: true } },
    ]);
  });
});
