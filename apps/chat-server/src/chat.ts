// The chat message and its two encodings, as the Go chat example has them (FORMAT.md).
import type { BinaryMessage } from "@taurus/protocol-binary";
import type { JsonMessage } from "@taurus/protocol-json";

export const SYSTEM = 1;
export const USER = 2;
export const HEARTBEAT = 3;

/** A join's content, as the Go client sends it and as the room announces it. */
export const JOINED = "加入了聊天室";
/** A leave's content, as the Go client sends it. */
export const LEFT = "离开了聊天室";

/** One chat message, whichever protocol carried it. */
export interface ChatMessage {
  type: number;
  sequence: number;
  from: string;
  to: string;
  content: string;
}

const str = (v: unknown): string => (typeof v === "string" ? v : "");

/** JSON protocol: frame type and sequence, data = { from, to, content } (all three always sent). */
export function toJson(chat: ChatMessage): JsonMessage {
  return {
    type: chat.type,
    sequence: chat.sequence,
    data: { from: chat.from, to: chat.to, content: chat.content },
    timestamp: 0n,
  };
}

export function fromJson(message: JsonMessage): ChatMessage {
  const data = message.data ?? {};
  return {
    type: message.type,
    sequence: message.sequence,
    from: str(data.from),
    to: str(data.to),
    content: str(data.content),
  };
}

/** The UTF-8 JSON of the whole message: the binary frame's data, and the backplane's neutral form. */
export function chatBody(chat: ChatMessage): Buffer {
  const { type, sequence, from, to, content } = chat;
  return Buffer.from(JSON.stringify({ type, sequence, from, to, content }), "utf8");
}

/** Parses a chat body; `undefined` when it is not a JSON object. */
export function parseChatBody(bytes: Uint8Array): Record<string, unknown> | undefined {
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(bytes).toString("utf8"));
  } catch {
    return undefined;
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) return undefined;
  return body as Record<string, unknown>;
}

/** Binary protocol: frame type and sequence, data = UTF-8 JSON of the whole message. */
export function toBinary(chat: ChatMessage): BinaryMessage {
  return { version: 1, type: chat.type, sequence: chat.sequence, data: chatBody(chat) };
}

/** Decodes a binary frame's chat payload; `undefined` when it is not a JSON object. */
export function fromBinary(message: BinaryMessage): ChatMessage | undefined {
  const fields = parseChatBody(message.data);
  if (!fields) return undefined;
  return {
    type: message.type,
    sequence: message.sequence,
    from: str(fields.from),
    to: str(fields.to),
    content: str(fields.content),
  };
}
