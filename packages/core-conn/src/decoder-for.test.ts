import { describe, expect, it } from "vitest";
import { decoderFor } from "./decoder-for";
import { isTaurusError } from "./errors";
import type { DecodeResult, Protocol } from "./protocol";

const byteProtocol = (): Protocol<number> => ({
  name: "byte",
  maxMessageSize: 8,
  encode: (n) => Uint8Array.of(n),
  decode: (buffer, start): DecodeResult<number> => ({
    kind: "message",
    message: buffer[start] as number,
    consumed: 1,
  }),
});

describe("decoderFor", () => {
  it("adapts a contract v1 protocol's decode, passing the limit", () => {
    const seen: number[] = [];
    const v1 = byteProtocol();
    const decode = v1.decode as NonNullable<Protocol<number>["decode"]>;
    v1.decode = (buffer, start, end, max) => {
      seen.push(max);
      return decode(buffer, start, end, max);
    };
    const result = decoderFor(v1, 5).decode(Buffer.of(7, 9), 1, 2);
    expect(result).toEqual({ kind: "message", message: 9, consumed: 1 });
    expect(seen).toEqual([5]);
  });

  it("asks a contract v2 protocol for a new decoder with the limit, the protocol's own by default", () => {
    const limits: number[] = [];
    const v2: Protocol<number> = {
      name: "v2",
      maxMessageSize: 8,
      encode: (n) => Uint8Array.of(n),
      createDecoder: ({ maxMessageSize }) => {
        limits.push(maxMessageSize);
        return { decode: () => ({ kind: "need_more" }) };
      },
    };
    expect(decoderFor(v2).decode(Buffer.of(1), 0, 1).kind).toBe("need_more");
    decoderFor(v2, 3);
    expect(limits).toEqual([8, 3]);
  });

  it("refuses a protocol that cannot decode with INVALID_OPTION", () => {
    const none: Protocol<number> = {
      name: "none",
      maxMessageSize: 8,
      encode: (n) => Uint8Array.of(n),
    };
    let caught: unknown;
    try {
      decoderFor(none);
    } catch (err) {
      caught = err;
    }
    expect(isTaurusError(caught, "INVALID_OPTION")).toBe(true);
  });
});
