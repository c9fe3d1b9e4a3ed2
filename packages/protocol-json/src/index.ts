/**
 * The Taurus JSON wire protocol, wire-compatible with the Go framework taurus-pro-tcp.
 * Timestamps are int64 nanoseconds kept exact as `bigint`.
 *
 * @packageDocumentation
 */
export { DEFAULT_JSON_MAX_MESSAGE_SIZE, JSON_HEADER_SIZE, JSON_MAGIC } from "./constants";
export type { JsonMessage, JsonProtocolOptions } from "./message";
export type { JsonProtocol } from "./protocol";
export { createJsonProtocol } from "./protocol";
