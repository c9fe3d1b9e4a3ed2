import { isTaurusError, type TaurusError } from "@taurus/core-conn";
import { describe, expect, it } from "vitest";
import { type ClientOptions, resolveClientOptions } from "./options";
import { StatsAccumulator } from "./stats";

const resolve = (o: ClientOptions<unknown>) => resolveClientOptions("127.0.0.1:1", o, 4096);

function refusal(o: Record<string, unknown>): TaurusError {
  try {
    resolve(o as ClientOptions<unknown>);
  } catch (err) {
    if (isTaurusError(err)) return err;
    throw err;
  }
  throw new Error("no error");
}

describe("the server's option names on the client", () => {
  it("accepts handshakeTimeout, sendQueueSize and sendQueueBytes for the old names", () => {
    const o = resolve({ handshakeTimeout: 1234, sendQueueSize: 7, sendQueueBytes: 4096 });
    expect(o).toMatchObject({ connectTimeout: 1234, sendBufferSize: 7, sendBufferBytes: 4096 });
    // The old names still work, alone or with the same value.
    expect(resolve({ sendBufferSize: 9 }).sendBufferSize).toBe(9);
    expect(resolve({ sendQueueSize: 9, sendBufferSize: 9 }).sendBufferSize).toBe(9);
  });

  it("names the new option in its errors, and refuses two names that disagree", () => {
    expect(refusal({ sendQueueSize: 0 })).toMatchObject({
      code: "INVALID_OPTION",
      option: "sendQueueSize",
    });
    expect(refusal({ handshakeTimeout: -1 })).toMatchObject({ option: "handshakeTimeout" });
    expect(refusal({ sendQueueBytes: 10, sendBufferBytes: 20 })).toMatchObject({
      code: "INVALID_OPTION",
      option: "sendQueueBytes",
    });
  });
});

describe("ClientStats in the shared vocabulary", () => {
  it("has messagesIn/Out, bytesIn/Out and errorsByCode beside the old names", () => {
    const acc = new StatsAccumulator();
    acc.error("connection", "CONNECT_TIMEOUT");
    const gone = {
      messagesIn: 2,
      keepalivesIn: 0,
      messagesOut: 3,
      bytesIn: 20,
      bytesOut: 30,
      errors: { connection: 0, protocol: 1, system: 0, buffer: 0 },
      errorsByCode: { INVALID_FORMAT: 1 },
      drops: { invalid_format: 1, checksum: 0, too_large: 0, malformed_body: 0 },
    };
    acc.add(gone);
    const live = { ...gone, errorsByCode: { INVALID_FORMAT: 2, SEND_QUEUE_FULL: 1 } };
    const s = acc.snapshot("connected", live);
    expect(s).toMatchObject({ messagesIn: 4, messagesOut: 6, bytesIn: 40, bytesOut: 60 });
    expect(s.messagesReceived).toBe(s.messagesIn);
    expect(s.messagesSent).toBe(s.messagesOut);
    expect(s.bytesReceived).toBe(s.bytesIn);
    expect(s.bytesSent).toBe(s.bytesOut);
    expect(s.errorsByCode).toEqual({ CONNECT_TIMEOUT: 1, INVALID_FORMAT: 3, SEND_QUEUE_FULL: 1 });
    // A snapshot is a copy: the accumulator's own counts are unchanged.
    expect(acc.snapshot("closed", undefined).errorsByCode).toEqual({
      CONNECT_TIMEOUT: 1,
      INVALID_FORMAT: 1,
    });
  });
});
