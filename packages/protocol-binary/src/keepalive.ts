import type { Keepalive } from "@taurus/core-conn/codec";
import type { BinaryMessage } from "./message";

/**
 * The message type reserved for keepalives: 4294967295 (the largest u32).
 * A ping has sequence 1, a pong sequence 2, and both have empty data.
 */
export const BINARY_KEEPALIVE_TYPE = 0xffffffff;

const EMPTY = new Uint8Array(0);

/**
 * The keepalive of the binary protocol (see `Protocol.keepalive`): a ping is
 * answered with a pong by the receiving connection, and neither is delivered.
 * A Taurus extension: the Go implementation has no keepalive and would hand
 * them to its handler.
 */
export const binaryKeepalive: Keepalive<BinaryMessage> = Object.freeze({
  ping: Object.freeze({ version: 1, type: BINARY_KEEPALIVE_TYPE, sequence: 1, data: EMPTY }),
  pong: Object.freeze({ version: 1, type: BINARY_KEEPALIVE_TYPE, sequence: 2, data: EMPTY }),
  kind(message: BinaryMessage): "ping" | "pong" | undefined {
    if (message.type !== BINARY_KEEPALIVE_TYPE || message.data.length !== 0) return undefined;
    return message.sequence === 1 ? "ping" : message.sequence === 2 ? "pong" : undefined;
  },
});
