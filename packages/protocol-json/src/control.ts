import {
  asControlPayload,
  CONTROL_TYPE,
  type Control,
  type ControlPayload,
} from "@taurus/core-conn/codec";
import type { JsonMessage } from "./message";

/**
 * The control facet of the JSON protocol (see `Protocol.control`): type
 * 4294967295, the control kind in `sequence`, the payload object in `data`
 * (`null` for none), timestamp 0. A Taurus extension: the Go implementation
 * never produces that type.
 */
export const jsonControl: Control<JsonMessage> = Object.freeze({
  encode(kind: number, payload?: ControlPayload): JsonMessage {
    const data = payload === undefined || Object.keys(payload).length === 0 ? null : payload;
    return { type: CONTROL_TYPE, sequence: kind, data, timestamp: 0n };
  },
  decode(message: JsonMessage) {
    if (message.type !== CONTROL_TYPE) return undefined;
    const payload = asControlPayload(message.data);
    return payload === undefined ? undefined : { kind: message.sequence, payload };
  },
});
