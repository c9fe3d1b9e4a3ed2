import { runProtocolConformance } from "@taurus/core-conn/testing";
import { createNdjsonProtocol } from "./index";

runProtocolConformance("ndjson (examples/)", {
  protocol: createNdjsonProtocol(4096),
  samples: [
    {},
    { a: 1 },
    { text: "line\nbreak inside a string" },
    { big: "x".repeat(1000), n: [1, 2, 3] },
  ],
  invalid: [[1, 2], "text", null, { huge: "y".repeat(5000) }],
  // Garbage this format can resynchronise after: a line that is never valid JSON.
  garbage: (bytes) => Uint8Array.from([0x23, ...bytes.filter((b) => b !== 0x0a), 0x0a]),
});
