import { isTaurusError, type TaurusError } from "@taurus/core-conn";
import { describe, expect, it } from "vitest";
import { createServer } from "./server";
import type { ServerConfig } from "./server-types";
import { MemorySessionStore } from "./session/store";
import { binary } from "./test-helpers";

/** The error `createServer` throws for `config`, which must be a TaurusError. */
function refusal(config: Partial<ServerConfig<unknown>>): TaurusError {
  try {
    createServer({ protocol: binary, ...config } as ServerConfig<unknown>);
  } catch (err) {
    if (isTaurusError(err)) return err;
    throw new Error(`not a TaurusError: ${String(err)}`);
  }
  throw new Error("no error");
}

describe("option errors name the option the user wrote", () => {
  it.each([
    ["rateLimit", { rateLimit: -1 }],
    ["inboundBytesPerSecond", { inboundBytesPerSecond: 0 }],
    ["rateLimitBurst", { rateLimitBurst: 0 }],
    ["perAddress.burst", { perAddress: { burst: 0 } }],
    ["perAddress.messagesPerSecond", { perAddress: { messagesPerSecond: -5 } }],
    ["perAddress.trusted", { perAddress: { trusted: ["not an address"] } }],
    // A store that holds fewer frames per session than the server buffers: refused at once
    // (a refused append would leave a stored session that cannot be resumed).
    [
      "sessions.maxBufferedMessages",
      { sessions: { store: Object.assign(new MemorySessionStore(), { maxMessages: 100 }) } },
    ],
    [
      "sessions.maxBufferedBytes",
      {
        sessions: {
          maxBufferedBytes: 2048,
          store: Object.assign(new MemorySessionStore(), { maxBytes: 1024 }),
        },
      },
    ],
  ] as const)("%s", (option, config) => {
    const error = refusal(config as Partial<ServerConfig<unknown>>);
    expect(error.code).toBe("INVALID_OPTION");
    expect(error.option).toBe(option);
    expect(error.message).toContain(option);
  });

  it("a missing protocol is INVALID_OPTION naming protocol, not a TypeError", () => {
    const error = refusal({ protocol: undefined });
    expect(error).toMatchObject({ code: "INVALID_OPTION", option: "protocol" });
  });
});
