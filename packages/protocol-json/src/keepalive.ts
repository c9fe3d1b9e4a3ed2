import type { Keepalive } from "@taurus/core-conn/codec";
import type { JsonMessage } from "./message";

/**
 * The message type reserved for keepalives: 4294967295 (the largest u32).
 * A ping has sequence 1, a pong sequence 2, and both have `data: null`.
 */
export const JSON_KEEPALIVE_TYPE = 0xffffffff;

/**
 * The keepalive of the JSON protocol (see `Protocol.keepalive`): a ping is
 * answered with a pong by the receiving connection, and neither is delivered.
 * A Taurus extension: the Go implementation has no keepalive and would hand
 * them to its handler.
 */
export const jsonKeepalive: Keepalive<JsonMessage> = Object.freeze({
  ping: Object.freeze({ type: JSON_KEEPALIVE_TYPE, sequence: 1, data: null, timestamp: 0n }),
  pong: Object.freeze({ type: JSON_KEEPALIVE_TYPE, sequence: 2, data: null, timestamp: 0n }),
  kind(message: JsonMessage): "ping" | "pong" | undefined {
    if (message.type !== JSON_KEEPALIVE_TYPE || message.data !== null) return undefined;
    return message.sequence === 1 ? "ping" : message.sequence === 2 ? "pong" : undefined;
  },
});
