// What the @taurus/client generators share: the protocol and a message of a given size.
import { createBinaryProtocol } from "@taurus/protocol-binary";
import { createJsonProtocol } from "@taurus/protocol-json";

/** @param {"json" | "binary"} format */
export function clientProtocol(format) {
  return format === "json" ? createJsonProtocol() : createBinaryProtocol();
}

/**
 * A message whose payload is `size` bytes.
 * @param {"json" | "binary"} format
 * @param {number} size
 */
export function clientMessage(format, size) {
  return format === "json"
    ? { type: 2, sequence: 1, data: { content: "x".repeat(size) }, timestamp: 0n }
    : { version: 1, type: 2, sequence: 1, data: Buffer.alloc(size, 120) };
}
