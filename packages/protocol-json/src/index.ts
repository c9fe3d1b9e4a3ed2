/**
 * The Taurus JSON wire protocol, wire-compatible with the Go framework taurus-pro-tcp.
 * Timestamps are int64 nanoseconds kept exact as `bigint`.
 *
 * @packageDocumentation
 */
export { DEFAULT_JSON_MAX_MESSAGE_SIZE, JSON_HEADER_SIZE, JSON_MAGIC } from "./constants";
export { jsonControl } from "./control";
export { DEFAULT_JSON_MAX_DEPTH, exceedsJsonDepth } from "./depth";
export { JSON_KEEPALIVE_TYPE, jsonKeepalive } from "./keepalive";
export type { JsonMessage, JsonProtocolOptions } from "./message";
export type { JsonProtocol } from "./protocol";
export { createJsonProtocol } from "./protocol";
