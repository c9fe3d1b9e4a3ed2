// Each protocol's messages as the CLI reads them from text and shows them: the two
// built-in protocols know the chat shape; any other protocol's messages are JSON objects.
import type { Protocol } from "@taurus/core-conn";
import { type BinaryMessage, createBinaryProtocol } from "@taurus/protocol-binary";
import { createJsonProtocol, type JsonMessage } from "@taurus/protocol-json";
import { UsageError } from "./errors";
import { printable } from "./sanitize";

/** The fields the CLI fills in a message it makes from a line of text. */
export interface Fields {
  type: number;
  sequence: number;
  from: string;
}

/** A protocol and what the CLI needs to make, show and match its messages. */
export interface Kit<M = unknown> {
  /** `json`, `binary`, or the package the protocol came from. */
  readonly name: string;
  readonly protocol: Protocol<M>;
  /** A chat message carrying `text` (what `send` and `connect` send by default). */
  chat(text: string, fields: Fields): M;
  /** A whole message from a JSON object (`--message`); missing fields come from `fields`. */
  message(value: Record<string, unknown>, fields: Fields): M;
  /** The message as a JSON-safe object (bigints as strings, bytes as text or base64). */
  view(message: M): Record<string, unknown>;
  /** The message's sequence number, when it has one. */
  sequence(message: M): number | undefined;
}

/** Chat message types (the Go chat example's). */
export const SYSTEM = 1;
export const USER = 2;
export const HEARTBEAT = 3;
/** A chat join's content (the Go client's). */
export const JOINED = "加入了聊天室";

/**
 * A join as `from`: a chat server binds the name and relays nothing from a peer before
 * one; an echo server echoes it (sequence 4294967295, answering nothing in flight).
 */
export function joinAs<M>(kit: Kit<M>, from: string): M {
  return kit.chat(JOINED, { type: SYSTEM, sequence: 0xffffffff, from });
}

/** The default chat name: `taurus-` and 4 random hex digits (names are unique in a room). */
export function defaultName(): string {
  return `taurus-${Math.floor(Math.random() * 0x10000)
    .toString(16)
    .padStart(4, "0")}`;
}

const TYPE_NAMES: Record<number, string> = { 1: "system", 2: "user", 3: "heartbeat" };

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const num = (v: unknown, fallback: number): number => (v === undefined ? fallback : Number(v));

/** The JSON protocol: `data` is the chat's `{ from, to, content }`. */
export function jsonKit(protocol: Protocol<JsonMessage> = createJsonProtocol()): Kit<JsonMessage> {
  return {
    name: "json",
    protocol,
    chat: (text, f) => ({
      type: f.type,
      sequence: f.sequence,
      data: { from: f.from, to: "", content: text },
      timestamp: 0n,
    }),
    message: (v, f) => ({
      type: num(v.type, f.type),
      sequence: num(v.sequence, f.sequence),
      data: (v.data ?? null) as JsonMessage["data"],
      timestamp: bigintOf(v.timestamp),
    }),
    view: (m) => ({
      type: m.type,
      sequence: m.sequence,
      data: m.data,
      timestamp: m.timestamp.toString(),
    }),
    sequence: (m) => m.sequence,
  };
}

/** The binary protocol: `data` is the UTF-8 JSON of the whole chat message. */
export function binaryKit(
  protocol: Protocol<BinaryMessage> = createBinaryProtocol(),
): Kit<BinaryMessage> {
  return {
    name: "binary",
    protocol,
    chat: (text, f) => ({
      version: 1,
      type: f.type,
      sequence: f.sequence,
      data: Buffer.from(
        JSON.stringify({ type: f.type, sequence: f.sequence, from: f.from, to: "", content: text }),
      ),
    }),
    message: (v, f) => ({
      version: num(v.version, 1),
      type: num(v.type, f.type),
      sequence: num(v.sequence, f.sequence),
      data: bytesOf(v.data),
    }),
    view: (m) => ({
      version: m.version,
      type: m.type,
      sequence: m.sequence,
      data: textOrBase64(m.data),
    }),
    sequence: (m) => m.sequence,
  };
}

/** Any other protocol: its messages are taken to be JSON-like objects. */
export function genericKit(name: string, protocol: Protocol<unknown>): Kit<unknown> {
  return {
    name,
    protocol,
    chat: (text, f) => ({
      type: f.type,
      sequence: f.sequence,
      from: f.from,
      to: "",
      content: text,
    }),
    message: (v) => v,
    view: (m) =>
      typeof m === "object" && m !== null && !ArrayBuffer.isView(m)
        ? (JSON.parse(JSON.stringify(m, jsonSafe)) as Record<string, unknown>)
        : { value: JSON.parse(JSON.stringify(m, jsonSafe) ?? "null") as unknown },
    sequence: (m) => {
      const s = (m as { sequence?: unknown } | null)?.sequence;
      return typeof s === "number" ? s : undefined;
    },
  };
}

/** A replacer for `JSON.stringify`: bigints as strings, bytes as text or base64. */
export function jsonSafe(_key: string, value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Uint8Array) return textOrBase64(value);
  if (value && typeof value === "object" && (value as { type?: unknown }).type === "Buffer") {
    const data = (value as { data?: unknown }).data;
    if (Array.isArray(data)) return textOrBase64(Uint8Array.from(data as number[]));
  }
  return value;
}

/** One line for a person: chat messages as `#seq kind from: content`, others as JSON. */
export function describe(kit: Kit, message: unknown): string {
  const v = kit.view(message);
  const chat = chatOf(v);
  const seq = typeof v.sequence === "number" ? `#${v.sequence} ` : "";
  if (chat) {
    const kind = TYPE_NAMES[chat.type] ?? `type ${chat.type}`;
    const to = chat.to ? ` -> ${chat.to}` : "";
    return printable(`${seq}${kind} ${chat.from}${to}: ${chat.content}`);
  }
  return printable(`${seq}${JSON.stringify(v)}`);
}

/** The chat fields of a message view, when it is a chat message. */
export function chatOf(
  v: Record<string, unknown>,
): { type: number; from: string; to: string; content: string } | undefined {
  let body: Record<string, unknown> | undefined;
  if (v.data && typeof v.data === "object" && !("base64" in v.data)) {
    body = v.data as Record<string, unknown>;
  } else if (typeof v.data === "string") {
    try {
      const parsed: unknown = JSON.parse(v.data);
      if (parsed && typeof parsed === "object") body = parsed as Record<string, unknown>;
    } catch {
      // not a chat body
    }
  } else {
    body = v;
  }
  const from = str(body?.from);
  const content = str(body?.content);
  if (from === undefined || content === undefined || typeof v.type !== "number") return undefined;
  return { type: v.type, from, to: str(body?.to) ?? "", content };
}

function bigintOf(v: unknown): bigint {
  if (v === undefined || v === null) return 0n;
  try {
    if (typeof v === "number" || (typeof v === "string" && /^-?\d+$/.test(v))) return BigInt(v);
  } catch {
    // falls through
  }
  throw new UsageError(`timestamp must be an integer (nanoseconds), got ${JSON.stringify(v)}`);
}

function bytesOf(v: unknown): Uint8Array {
  if (v === undefined || v === null) return new Uint8Array(0);
  if (typeof v === "string") return Buffer.from(v, "utf8");
  if (typeof v === "object" && typeof (v as { base64?: unknown }).base64 === "string") {
    return Buffer.from((v as { base64: string }).base64, "base64");
  }
  return Buffer.from(JSON.stringify(v), "utf8");
}

/** UTF-8 text when the bytes are valid UTF-8, `{ base64 }` otherwise. */
export function textOrBase64(bytes: Uint8Array): string | { base64: string } {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return { base64: Buffer.from(bytes).toString("base64") };
  }
}
