import { readFileSync } from "node:fs";
import { createBinaryProtocol } from "@taurus/protocol-binary";
import { createJsonProtocol } from "@taurus/protocol-json";
import { describe, expect, it } from "vitest";
import { type ChatMessage, fromBinary, fromJson, toBinary, toJson } from "./chat";

const vectors = JSON.parse(
  readFileSync(new URL("../../../fixtures/wire/vectors.json", import.meta.url), "utf8"),
) as {
  binary: Array<{ name: string; hex: string }>;
  json: Array<{ name: string; hex: string }>;
  taurusChat: Record<"json" | "binary", Array<{ name: string; hex: string; chat: ChatMessage }>>;
};
const frame = (list: Array<{ name: string; hex: string }>, name: string) =>
  Buffer.from(list.find((v) => v.name === name)?.hex ?? "", "hex");

describe("chat messages", () => {
  it("reads the Go chat's binary payload", () => {
    const bytes = frame(vectors.binary, "chat-json-payload");
    const r = createBinaryProtocol().decode(bytes, 0, bytes.length, 1 << 20);
    expect(r.kind).toBe("message");
    if (r.kind !== "message") return;
    expect(fromBinary(r.message)).toEqual({
      type: 2,
      sequence: 3,
      from: "alice",
      to: "",
      content: "hi",
    });
  });

  it("reads the Go chat's JSON message", () => {
    const bytes = frame(vectors.json, "chat-user");
    const r = createJsonProtocol().decode(bytes, 0, bytes.length, 1 << 20);
    if (r.kind !== "message") throw new Error(r.kind);
    expect(fromJson(r.message)).toEqual({
      type: 2,
      sequence: 1,
      from: "alice",
      to: "",
      content: "hello",
    });
  });

  it("always writes from, to and content (a Go chat server crashes without them)", () => {
    const chat = { type: 1, sequence: 5, from: "bob", to: "", content: "joined" };
    expect(toJson(chat).data).toEqual({ from: "bob", to: "", content: "joined" });
    const body = JSON.parse(Buffer.from(toBinary(chat).data).toString());
    expect(body).toEqual({ type: 1, sequence: 5, from: "bob", to: "", content: "joined" });
  });

  it("fills missing or mistyped fields with empty strings, and rejects non-object payloads", () => {
    expect(fromJson({ type: 2, sequence: 1, data: { from: 7 }, timestamp: 1n })).toEqual({
      type: 2,
      sequence: 1,
      from: "",
      to: "",
      content: "",
    });
    const bin = (text: string) => ({ version: 1, type: 2, sequence: 1, data: Buffer.from(text) });
    expect(fromBinary(bin("[1,2]"))).toBeUndefined();
    expect(fromBinary(bin("not json"))).toBeUndefined();
    expect(fromBinary(bin('{"from":"x"}'))?.from).toBe("x");
  });
});

describe("the chat's identity extensions (vectors produced by Taurus)", () => {
  it("decodes each JSON vector to its chat message", () => {
    const json = createJsonProtocol();
    expect(vectors.taurusChat.json.map((v) => v.name)).toEqual(
      vectors.taurusChat.binary.map((v) => v.name),
    );
    for (const v of vectors.taurusChat.json) {
      const bytes = Buffer.from(v.hex, "hex");
      const r = json.decode(bytes, 0, bytes.length, 1 << 20);
      expect(r.kind, v.name).toBe("message");
      if (r.kind === "message") expect(fromJson(r.message), v.name).toEqual(v.chat);
    }
  });

  it("encodes each binary vector byte for byte, and decodes it back", () => {
    const binary = createBinaryProtocol();
    for (const v of vectors.taurusChat.binary) {
      expect(Buffer.from(binary.encode(toBinary(v.chat))).toString("hex"), v.name).toBe(v.hex);
      const bytes = Buffer.from(v.hex, "hex");
      const r = binary.decode(bytes, 0, bytes.length, 1 << 20);
      expect(r.kind, v.name).toBe("message");
      if (r.kind === "message") expect(fromBinary(r.message), v.name).toEqual(v.chat);
    }
  });
});
