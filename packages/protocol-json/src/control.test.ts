import { readFileSync } from "node:fs";
import { CONTROL_KIND, CONTROL_TYPE, type ControlPayload } from "@taurus/core-conn";
import { describe, expect, it } from "vitest";
import { jsonControl } from "./control";
import { jsonKeepalive } from "./keepalive";
import { createJsonProtocol } from "./protocol";

interface ControlVector {
  name: string;
  kind: number;
  payload: ControlPayload;
  hex: string;
}

const vectors = JSON.parse(
  readFileSync(new URL("../../../fixtures/wire/vectors.json", import.meta.url), "utf8"),
) as { taurusControl: { json: ControlVector[] } };
const protocol = createJsonProtocol();

function decode(hex: string) {
  const bytes = Buffer.from(hex, "hex");
  const result = protocol.decode(bytes, 0, bytes.length, protocol.maxMessageSize);
  if (result.kind !== "message") throw new Error(`not a message: ${result.kind}`);
  return result.message;
}

describe("json control frames (fixtures/wire/vectors.json, taurusControl)", () => {
  for (const v of vectors.taurusControl.json) {
    it(`decodes and re-encodes ${v.name}`, () => {
      const message = decode(v.hex);
      expect(message.type).toBe(CONTROL_TYPE);
      expect(jsonControl.decode(message)).toEqual({ kind: v.kind, payload: v.payload });
      const again = jsonControl.encode(v.kind, v.payload);
      expect(
        jsonControl.decode(decode(Buffer.from(protocol.encode(again)).toString("hex"))),
      ).toEqual({
        kind: v.kind,
        payload: v.payload,
      });
    });
  }

  it("keeps the keepalive ping and pong as control kinds 1 and 2", () => {
    expect(jsonControl.decode(jsonKeepalive.ping)?.kind).toBe(CONTROL_KIND.ping);
    expect(jsonControl.decode(jsonKeepalive.pong)?.kind).toBe(CONTROL_KIND.pong);
    expect(jsonKeepalive.kind(jsonControl.encode(CONTROL_KIND.ping))).toBe("ping");
  });

  it("leaves application messages and malformed control payloads alone", () => {
    const bad = (data: Record<string, unknown>) => ({
      type: CONTROL_TYPE,
      sequence: 5,
      data,
      timestamp: 0n,
    });
    expect(jsonControl.decode(bad({ a: [1] }))).toBeUndefined();
    expect(
      jsonControl.decode({ ...jsonControl.encode(5, { received: 1 }), type: 7 }),
    ).toBeUndefined();
    expect(protocol.control).toBe(jsonControl);
  });
});
