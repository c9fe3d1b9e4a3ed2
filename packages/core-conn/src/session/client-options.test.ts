// The `session` option of both clients, resolved in one place.
import { describe, expect, it } from "vitest";
import { createControlLineProtocol, createLineProtocol } from "../fixtures/lines";
import { MAX_TIMER } from "../shared-options";
import type { ClientSessionSettings } from "./client-half";
import { resolveClientSessionSettings } from "./client-options";

const defaults: ClientSessionSettings = {
  helloTimeout: 2000,
  maxBufferedMessages: 1024,
  maxBufferedBytes: 1 << 20,
  ackEvery: 32,
  ackInterval: 100,
};
const withControl = createControlLineProtocol();

/** The error `fn` throws. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error("did not throw");
}

describe("resolveClientSessionSettings", () => {
  it("is no session when absent or false, every default when true, the fields set otherwise", () => {
    expect(resolveClientSessionSettings(undefined, withControl, defaults)).toBeUndefined();
    expect(resolveClientSessionSettings(false, withControl, defaults)).toBeUndefined();
    expect(resolveClientSessionSettings(true, withControl, defaults)).toEqual(defaults);
    expect(
      resolveClientSessionSettings({ ackEvery: 1, helloTimeout: MAX_TIMER }, withControl, defaults),
    ).toEqual({ ...defaults, ackEvery: 1, helloTimeout: MAX_TIMER });
  });

  it("refuses a protocol without control frames, and what is neither a boolean nor an object", () => {
    for (const [option, protocol] of [
      [true, createLineProtocol()],
      ["yes", withControl],
      [null, withControl],
    ] as const) {
      expect(
        thrown(() =>
          resolveClientSessionSettings(option as unknown as boolean, protocol, defaults),
        ),
      ).toMatchObject({ code: "INVALID_OPTION", option: "session" });
    }
  });

  it("names the field of a value out of range, timers included past the longest Node accepts", () => {
    for (const [name, value] of [
      ["helloTimeout", 0],
      ["helloTimeout", MAX_TIMER + 1],
      ["maxBufferedMessages", 1.5],
      ["maxBufferedBytes", -1],
      ["ackEvery", Number.NaN],
      ["ackInterval", MAX_TIMER + 1],
    ] as const) {
      expect(
        thrown(() => resolveClientSessionSettings({ [name]: value }, withControl, defaults)),
      ).toMatchObject({ code: "INVALID_OPTION", option: `session.${name}` });
    }
  });
});
