/**
 * Test helpers for protocol authors and for code built on `Connection`:
 * an in-memory socket pair and the protocol conformance suite.
 * Requires `vitest` and `fast-check` (optional peer dependencies).
 *
 * @module
 */

export type {
  ConformanceOptions,
  DecodedStream,
  StreamDropEvent,
  StreamEvent,
  StreamMessageEvent,
} from "./testing/conformance";
export { decodeStream, runProtocolConformance } from "./testing/conformance";
export { createSocketPair, MemorySocket } from "./testing/socket-pair";
