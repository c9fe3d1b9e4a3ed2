import { isTaurusError, type TaurusError } from "@taurus/core-conn";
import { describe, expect, it } from "vitest";
import { createClient } from "./client";
import type { ClientConfig } from "./client-types";
import { seq } from "./fixtures/harness";

/** The error `createClient` throws for `options`, which must be a TaurusError. */
function refusal(options: Record<string, unknown>): TaurusError {
  try {
    createClient({ address: "127.0.0.1:1", protocol: seq, ...options } as ClientConfig<never>);
  } catch (err) {
    if (isTaurusError(err)) return err;
    throw new Error(`not a TaurusError: ${String(err)}`);
  }
  throw new Error("no error");
}

describe("option errors name the option the user wrote", () => {
  it.each([
    ["address", { address: "nowhere" }],
    ["address", { address: { host: "127.0.0.1", port: -5 } }],
    ["protocol", { protocol: undefined }],
    ["heartbeat.message", { heartbeat: { interval: 1000 } }],
    ["retryDelay", { retryDelay: -1 }],
  ] as const)("%s", (option, options) => {
    const error = refusal(options);
    expect(error.code).toBe("INVALID_OPTION");
    expect(error.option).toBe(option);
    expect(error.message).toContain(option);
  });
});
