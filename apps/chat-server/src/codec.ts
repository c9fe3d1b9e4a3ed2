// How a chat message crosses the backplane: once, as the JSON of the ChatMessage; each
// instance re-encodes it for its own protocols.
import type { BinaryMessage } from "@taurus/protocol-binary";
import type { JsonMessage } from "@taurus/protocol-json";
import type { BackplaneCodec } from "@taurus/server";
import {
  type ChatMessage,
  chatBody,
  fromBinary,
  fromJson,
  parseChatBody,
  toBinary,
  toJson,
} from "./chat";

/** The channel of the chat room on the backplane. */
export const ROOM_CHANNEL = "chat";

/** Reads neutral bytes back; throws when they are not a JSON object. */
function decodeChat(payload: Uint8Array): ChatMessage {
  const v = parseChatBody(payload);
  if (!v) throw new Error("backplane payload is not a JSON object");
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
  encode: (m) => chatBody(fromJson(m)),
  decode: (p) => toJson(decodeChat(p)),
};

export const binaryCodec: BackplaneCodec<BinaryMessage> = {
  encode: (m) => {
    const chat = fromBinary(m);
    if (!chat) throw new Error("binary frame without a chat payload");
    return chatBody(chat);
  },
  decode: (p) => toBinary(decodeChat(p)),
};
