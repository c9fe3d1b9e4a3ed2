// A protocol built against another copy of @taurus/core-conn (here its CJS build,
// next to the ESM build the client uses) refuses a message: its error and code
// reach the caller as they are, not re-wrapped as INVALID_MESSAGE.
import { createRequire } from "node:module";
import * as esm from "@taurus/core-conn";
import { describe, expect, it } from "vitest";
import { createClient } from "./client";
import { createSeqProtocol, type SeqMessage } from "./fixtures/seq-protocol";

const cjs = createRequire(import.meta.url)("@taurus/core-conn") as typeof esm;

describe("client errors with two copies of @taurus/core-conn", () => {
  it("keeps a protocol's MESSAGE_TOO_LARGE from the other copy", () => {
    expect(cjs.TaurusError).not.toBe(esm.TaurusError);
    const seq = createSeqProtocol();
    const refused = new cjs.TaurusError("MESSAGE_TOO_LARGE", "too large for this protocol");
    const protocol: esm.Protocol<SeqMessage> = {
      ...seq,
      encode: (m) => {
        if (m.text === "huge") throw refused;
        return seq.encode(m);
      },
    };
    const client = createClient({ address: "127.0.0.1:1", protocol });
    let caught: unknown;
    try {
      client.send({ sequence: 1, text: "huge" });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBe(refused);
    expect(esm.isTaurusError(caught, "MESSAGE_TOO_LARGE")).toBe(true);
    expect(client.stats.errors.protocol).toBe(1);
    void client.close();
  });
});
