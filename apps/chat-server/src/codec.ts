// How a chat message crosses the backplane: once, as the JSON of the ChatMessage; each
// instance re-encodes it for its own protocols.
import type { BinaryMessage } from "@taurus/protocol-binary";
import type { JsonMessage } from "@taurus/protocol-json";
import type { BackplaneCodec } from "@taurus/server";
import { type ChatMessage, fromBinary, fromJson, toBinary, toJson } from "./chat";

/** The channel of the chat room on the backplane. */
export const ROOM_CHANNEL = "chat";

export function encodeChat(chat: ChatMessage): Uint8Array {
  const { type, sequence, from, to, content } = chat;
  return Buffer.from(JSON.stringify({ type, sequence, from, to, content }), "utf8");
}

export function decodeChat(payload: Uint8Array): ChatMessage {
  const v = JSON.parse(Buffer.from(payload).toString("utf8")) as Record<string, unknown>;
  const num = (x: unknown): number => (typeof x === "number" ? x : 0);
  const str = (x: unknown): string => (typeof x === "string" ? x : "");
  return {
    type: num(v.type),
    sequence: num(v.sequence),
    from: str(v.from),
    to: str(v.to),
    content: str(v.content),
  };
}

export const jsonCodec: BackplaneCodec<JsonMessage> = {
  encode: (m) => encodeChat(fromJson(m)),
  decode: (p) => toJson(decodeChat(p)),
};

export const binaryCodec: BackplaneCodec<BinaryMessage> = {
  encode: (m) => {
    const chat = fromBinary(m);
    if (!chat) throw new Error("binary frame without a chat payload");
    return encodeChat(chat);
  },
  decode: (p) => toBinary(decodeChat(p)),
};
