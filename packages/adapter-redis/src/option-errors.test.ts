import { isTaurusError, type TaurusError } from "@taurus/core-conn";
import { describe, expect, it } from "vitest";
import { resolveRedisAdapterOptions } from "./options";

/** The error the options' validation throws, which must be a TaurusError. */
function refusal(options: Record<string, unknown>): TaurusError {
  try {
    resolveRedisAdapterOptions(options);
  } catch (err) {
    if (isTaurusError(err)) return err;
    throw new Error(`not a TaurusError: ${String(err)}`);
  }
  throw new Error("no error");
}

describe("option errors name the option the user wrote", () => {
  it.each([
    ["mode", { mode: "gossip" }],
    ["instanceId", { instanceId: 5 }],
    ["instanceId", { instanceId: "" }],
    ["url", { url: 6379 }],
    ["prefix", { prefix: 5 }],
    ["maxRetryDelay", { maxRetryDelay: 0 }],
    ["retryDelay", { retryDelay: 0 }],
  ] as const)("%s", (option, options) => {
    const error = refusal(options);
    expect(error.code).toBe("INVALID_OPTION");
    expect(error.option).toBe(option);
    expect(error.message).toContain(option);
  });
});
