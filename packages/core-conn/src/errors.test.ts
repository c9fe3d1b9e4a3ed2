// Error identity across two real copies of this package loaded together: the ESM
// and the CJS build (dist/, built before the tests), and the source vitest runs.
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { isTaurusError, TaurusError } from "./errors";

type Copy = { TaurusError: typeof TaurusError; isTaurusError: typeof isTaurusError };

const esm = (await import(new URL("../dist/index.js", import.meta.url).href)) as Copy;
const cjs = createRequire(import.meta.url)("../dist/index.cjs") as Copy;
const copies: [string, Copy][] = [
  ["source", { TaurusError, isTaurusError }],
  ["esm build", esm],
  ["cjs build", cjs],
];

describe("TaurusError identity across copies of @taurus/core-conn", () => {
  it("loads three distinct classes", () => {
    expect(new Set(copies.map(([, c]) => c.TaurusError)).size).toBe(3);
  });

  for (const [made, from] of copies) {
    for (const [checked, by] of copies) {
      it(`an error of the ${made} is recognised by the ${checked}`, () => {
        const error = new from.TaurusError("MESSAGE_TOO_LARGE", "too large");
        expect(error instanceof by.TaurusError).toBe(true);
        expect(by.isTaurusError(error)).toBe(true);
        expect(by.isTaurusError(error, "MESSAGE_TOO_LARGE")).toBe(true);
        expect(by.isTaurusError(error, "INVALID_MESSAGE")).toBe(false);
      });
    }
  }

  it("recognises nothing else", () => {
    const lookalike = Object.assign(new Error("x"), {
      code: "MESSAGE_TOO_LARGE",
      kind: "protocol",
    });
    for (const value of [lookalike, new Error("x"), null, undefined, "TaurusError", 42, {}]) {
      for (const [, by] of copies) {
        expect(value instanceof by.TaurusError).toBe(false);
        expect(by.isTaurusError(value)).toBe(false);
      }
    }
  });

  it("keeps the ordinary prototype check for a subclass", () => {
    class Special extends TaurusError<"ABORTED"> {}
    const special = new Special("ABORTED", "stop");
    expect(special instanceof Special).toBe(true);
    expect(special instanceof TaurusError).toBe(true);
    expect(new TaurusError("ABORTED", "stop") instanceof Special).toBe(false);
    expect(new cjs.TaurusError("ABORTED", "stop") instanceof Special).toBe(false);
  });

  it("keeps code, kind, name, message and cause", () => {
    const cause = new Error("root");
    const error = new cjs.TaurusError("SOCKET", "reset", { cause });
    expect(error).toMatchObject({
      code: "SOCKET",
      kind: "system",
      name: "TaurusError",
      message: "reset",
    });
    expect(error.cause).toBe(cause);
    // The brand lives on the prototype: nothing per error, nothing in a JSON dump.
    expect(Object.getOwnPropertySymbols(error)).toEqual([]);
    expect(JSON.parse(JSON.stringify(error))).toEqual({
      code: "SOCKET",
      kind: "system",
      name: "TaurusError",
    });
  });
});
