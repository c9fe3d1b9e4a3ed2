import { readFileSync } from "node:fs";
import { CONTROL_KIND, CONTROL_TYPE, type ControlPayload } from "@taurus/core-conn";
import { describe, expect, it } from "vitest";
import { binaryControl, jsonBytes } from "./control";
import { binaryKeepalive } from "./keepalive";
import { createBinaryProtocol } from "./protocol";

interface ControlVector {
  name: string;
  kind: number;
  payload: ControlPayload;
  hex: string;
}

const vectors = JSON.parse(
  readFileSync(new URL("../../../fixtures/wire/vectors.json", import.meta.url), "utf8"),
) as { taurusControl: { binary: ControlVector[] } };
const protocol = createBinaryProtocol();

function decode(hex: string) {
  const bytes = Buffer.from(hex, "hex");
  const result = protocol.decode(bytes, 0, bytes.length, protocol.maxMessageSize);
  if (result.kind !== "message") throw new Error(`not a message: ${result.kind}`);
  return result.message;
}

describe("binary control frames (fixtures/wire/vectors.json, taurusControl)", () => {
  for (const v of vectors.taurusControl.binary) {
    it(`decodes and re-encodes ${v.name}`, () => {
      const message = decode(v.hex);
      expect(message.type).toBe(CONTROL_TYPE);
      expect(binaryControl.decode(message)).toEqual({ kind: v.kind, payload: v.payload });
      const again = binaryControl.encode(v.kind, v.payload);
      expect(
        binaryControl.decode(decode(Buffer.from(protocol.encode(again)).toString("hex"))),
      ).toEqual({
        kind: v.kind,
        payload: v.payload,
      });
    });
  }

  it("keeps the keepalive ping and pong as control kinds 1 and 2", () => {
    expect(binaryControl.decode(binaryKeepalive.ping)?.kind).toBe(CONTROL_KIND.ping);
    expect(binaryControl.decode(binaryKeepalive.pong)?.kind).toBe(CONTROL_KIND.pong);
    expect(binaryKeepalive.kind(binaryControl.encode(CONTROL_KIND.ping))).toBe("ping");
  });

  it("leaves application messages and malformed control payloads alone", () => {
    const bad = (data: Uint8Array) => ({ version: 1, type: CONTROL_TYPE, sequence: 5, data });
    expect(binaryControl.decode(bad(Buffer.from("[1]")))).toBeUndefined();
    expect(binaryControl.decode(bad(Buffer.from("{x")))).toBeUndefined();
    expect(binaryControl.decode(bad(Buffer.from([0xff, 0xfe])))).toBeUndefined();
    expect(binaryControl.decode(bad(Buffer.from(JSON.stringify({ a: { b: 1 } }))))).toBeUndefined();
    expect(
      binaryControl.decode({ ...binaryControl.encode(5, { received: 1 }), type: 7 }),
    ).toBeUndefined();
    expect(protocol.control).toBe(binaryControl);
  });

  it("reads payloads as strict UTF-8: ASCII, other characters, long ones, and a bad byte after ASCII", () => {
    const through = (payload: ControlPayload) => {
      const message = binaryControl.encode(CONTROL_KIND.lost, payload);
      // As decoded from the wire: a plain Uint8Array, not a Buffer.
      return binaryControl.decode({ ...message, data: new Uint8Array(message.data) });
    };
    expect(through({ received: 123456 })?.payload).toEqual({ received: 123456 });
    expect(through({ reason: "zurück, 再见 🙂" })?.payload).toEqual({ reason: "zurück, 再见 🙂" });
    const long = { reason: "x".repeat(1000) };
    expect(through(long)?.payload).toEqual(long);
    const bad = Uint8Array.from([
      ...Buffer.from('{"reason":"ab'),
      0xc3,
      0x28,
      ...Buffer.from('"}'),
    ]);
    expect(
      binaryControl.decode({ version: 1, type: CONTROL_TYPE, sequence: 5, data: bad }),
    ).toBeUndefined();
  });

  it("writes each payload's JSON text exactly as JSON.stringify does", () => {
    const payloads: ControlPayload[] = [
      { received: 0 },
      { received: 4294967295 },
      { received: -0, to: 12 },
      { a: 1.5, b: -2e-7, c: 1e21, d: Number.MAX_SAFE_INTEGER },
      { received: Number.NaN },
      { received: Number.POSITIVE_INFINITY },
      { id: "abc", received: 3 },
      { 'we"ird': 1 },
      { fresh: true },
    ];
    for (const payload of payloads) {
      expect(Buffer.from(jsonBytes(payload)).toString("utf8")).toBe(JSON.stringify(payload));
    }
  });
});
