/**
 * The Taurus binary wire protocol: CRC-checked frames, wire-compatible with the Go
 * framework taurus-pro-tcp.
 *
 * @packageDocumentation
 */
export {
  BINARY_FOOTER_SIZE,
  BINARY_FRAME_OVERHEAD,
  BINARY_HEADER_SIZE,
  BINARY_MAGIC,
  DEFAULT_BINARY_MAX_MESSAGE_SIZE,
} from "./constants";
export { binaryControl } from "./control";
export { BINARY_KEEPALIVE_TYPE, binaryKeepalive } from "./keepalive";
export type { BinaryMessage, BinaryProtocolOptions } from "./message";
export type { BinaryProtocol } from "./protocol";
export { createBinaryProtocol } from "./protocol";
