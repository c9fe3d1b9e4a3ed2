import {
  CONTROL_TYPE,
  type Control,
  type ControlPayload,
  parseControlPayload,
} from "@taurus/core-conn/codec";
import type { BinaryMessage } from "./message";

const EMPTY = new Uint8Array(0);
const decoder = new TextDecoder("utf-8", { fatal: true });
const encoder = new TextEncoder();

/**
 * The control facet of the binary protocol (see `Protocol.control`): type
 * 4294967295, version 1, the control kind in `sequence`, and the payload as
 * the UTF-8 bytes of its JSON text (empty data for none). A Taurus extension:
 * the Go implementation never produces that type.
 */
export const binaryControl: Control<BinaryMessage> = Object.freeze({
  encode(kind: number, payload?: ControlPayload): BinaryMessage {
    const data =
      payload === undefined || Object.keys(payload).length === 0
        ? EMPTY
        : encoder.encode(JSON.stringify(payload));
    return { version: 1, type: CONTROL_TYPE, sequence: kind, data };
  },
  decode(message: BinaryMessage) {
    if (message.type !== CONTROL_TYPE) return undefined;
    let text: string;
    try {
      text = message.data.length === 0 ? "" : decoder.decode(message.data);
    } catch {
      return undefined;
    }
    const payload = parseControlPayload(text);
    return payload === undefined ? undefined : { kind: message.sequence, payload };
  },
});
