/**
 * A WebSocket transport for `@taurus/server`: browsers (see `@taurus/client-web`)
 * join the same server, protocol, rooms and limits as TCP peers, each frame in
 * one binary WebSocket message, byte for byte as on TCP.
 *
 * @module
 */

export { CLOSE_UNSUPPORTED_DATA } from "./duplex";
export type { FrameLength } from "./frames";
export { binaryFrameLength, frameLengthFor, jsonFrameLength, splitFrames } from "./frames";
export type { WebSocketTransportOptions } from "./options";
export {
  DEFAULT_MAX_HANDSHAKES,
  DEFAULT_MAX_HANDSHAKES_PER_ADDRESS,
  DEFAULT_WS_HANDSHAKE_TIMEOUT,
} from "./options";
export { attachWebSocket, WebSocketTransport } from "./transport";
