// The chat message over either protocol (FORMAT.md, "Chat messages").
import type { Protocol } from "@taurus/core-conn";
import { type BinaryMessage, createBinaryProtocol } from "@taurus/protocol-binary";
import { createJsonProtocol, type JsonMessage } from "@taurus/protocol-json";

export const SYSTEM = 1;
export const USER = 2;
export const HEARTBEAT = 3;
export const JOINED = "加入了聊天室";
export const LEFT = "离开了聊天室";

/** One chat message, whichever protocol carried it; plain data, so `JSON.stringify` takes it. */
export interface ChatMessage {
  type: number;
  sequence: number;
  from: string;
  to: string;
  content: string;
  /**
   * The JSON frame's timestamp (int64 nanoseconds) as its exact digits: a string, because the
   * protocol's `bigint` does not go through `JSON.stringify`. Absent over binary, which has none.
   */
  timestamp?: string;
}

/** A protocol and the two conversions a chat client needs. */
export interface ChatCodec<M> {
  protocol: Protocol<M>;
  wrap(chat: ChatMessage): M;
  unwrap(message: M): ChatMessage | undefined;
}

const str = (v: unknown): string => (typeof v === "string" ? v : "");

export const jsonCodec: ChatCodec<JsonMessage> = {
  protocol: createJsonProtocol(),
  wrap: (c) => ({
    type: c.type,
    sequence: c.sequence,
    data: { from: c.from, to: c.to, content: c.content },
    timestamp: 0n,
  }),
  unwrap: (m) => {
    const d = m.data ?? {};
    return {
      type: m.type,
      sequence: m.sequence,
      from: str(d.from),
      to: str(d.to),
      content: str(d.content),
      timestamp: m.timestamp.toString(),
    };
  },
};

export const binaryCodec: ChatCodec<BinaryMessage> = {
  protocol: createBinaryProtocol(),
  wrap: (c) => ({
    version: 1,
    type: c.type,
    sequence: c.sequence,
    data: Buffer.from(
      JSON.stringify({
        type: c.type,
        sequence: c.sequence,
        from: c.from,
        to: c.to,
        content: c.content,
      }),
    ),
  }),
  unwrap: (m) => {
    try {
      const body = JSON.parse(Buffer.from(m.data).toString("utf8")) as Record<
        string,
        unknown
      > | null;
      if (typeof body !== "object" || body === null) return undefined;
      return {
        type: m.type,
        sequence: m.sequence,
        from: str(body.from),
        to: str(body.to),
        content: str(body.content),
      };
    } catch {
      return undefined;
    }
  },
};
