import {
  allocBytes,
  CONTROL_TYPE,
  type Control,
  type ControlPayload,
  parseControlPayload,
  utf8Length,
  utf8Write,
} from "@taurus/core-conn/codec";
import type { BinaryMessage } from "./message";

const EMPTY = new Uint8Array(0);
const decoder = new TextDecoder("utf-8", { fatal: true });

/** Payloads up to this length are read without the strict decoder when they are ASCII. */
const ASCII_MAX = 256;

/**
 * Whether every byte is ASCII: such bytes are valid UTF-8 as they are, read
 * without the strict decoder (an ack's payload, on a session's hot path).
 */
function isAscii(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if ((bytes[i] as number) > 0x7f) return false;
  return true;
}

/** Whether `payload` has no field (without the array `Object.keys` makes). */
function isEmpty(payload: ControlPayload): boolean {
  for (const _ in payload) return false;
  return true;
}

/** A key that JSON writes as it is, between quotes. */
const PLAIN_KEY = /^[A-Za-z0-9_]+$/;

/**
 * The JSON text of a payload whose values are all finite numbers (an ack's
 * `{"received":n}`), built directly; `undefined` for any other payload.
 * Exactly what `JSON.stringify` writes (a finite number's JSON is its
 * `String`), in pure ASCII.
 */
function numericJson(payload: ControlPayload): string | undefined {
  let text = "{";
  for (const key in payload) {
    const value = payload[key];
    if (typeof value !== "number" || !Number.isFinite(value) || !PLAIN_KEY.test(key)) {
      return undefined;
    }
    text += `${text.length === 1 ? "" : ","}"${key}":${value}`;
  }
  return `${text}}`;
}

/**
 * The UTF-8 bytes of a payload's JSON text. A session acknowledges every few
 * dozen frames: this is on its hot path (`TextEncoder#encode` and
 * `JSON.stringify` cost several times as much for such short texts).
 *
 * @internal exported for its test
 */
export function jsonBytes(payload: ControlPayload): Uint8Array {
  const ascii = numericJson(payload);
  if (ascii !== undefined) {
    const bytes = allocBytes(ascii.length);
    for (let i = 0; i < ascii.length; i++) bytes[i] = ascii.charCodeAt(i);
    return bytes;
  }
  const text = JSON.stringify(payload);
  const length = utf8Length(text);
  const bytes = allocBytes(length);
  utf8Write(bytes, text, 0, length);
  return bytes;
}

/**
 * The control facet of the binary protocol (see `Protocol.control`): type
 * 4294967295, version 1, the control kind in `sequence`, and the payload as
 * the UTF-8 bytes of its JSON text (empty data for none). A Taurus extension:
 * the Go implementation never produces that type.
 */
export const binaryControl: Control<BinaryMessage> = Object.freeze({
  encode(kind: number, payload?: ControlPayload): BinaryMessage {
    const data = payload === undefined || isEmpty(payload) ? EMPTY : jsonBytes(payload);
    return { version: 1, type: CONTROL_TYPE, sequence: kind, data };
  },
  decode(message: BinaryMessage) {
    if (message.type !== CONTROL_TYPE) return undefined;
    const data = message.data;
    let text: string;
    if (data.length <= ASCII_MAX && isAscii(data)) {
      text = String.fromCharCode.apply(null, data as unknown as number[]);
    } else {
      try {
        text = decoder.decode(data);
      } catch {
        return undefined;
      }
    }
    const payload = parseControlPayload(text);
    return payload === undefined ? undefined : { kind: message.sequence, payload };
  },
});
