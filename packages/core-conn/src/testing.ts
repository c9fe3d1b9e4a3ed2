/**
 * Test helpers for protocol authors and for code built on `Connection`:
 * the protocol conformance kit (as a vitest suite, or as plain checks for any
 * test runner), a checked stream decoder, an in-memory socket pair, a TCP
 * proxy that cuts connections on demand, and the
 * waiting helpers every Taurus test uses (`until`, `nextEvent`, `connectFrom`).
 * Requires `fast-check`, and `vitest` for `runProtocolConformance`
 * (optional peer dependencies).
 *
 * @module
 */

export { ConformanceError } from "./testing/conformance/assert";
export type { ConformanceCheck } from "./testing/conformance/checks";
export { conformanceChecks } from "./testing/conformance/checks";
export type {
  ConformanceOptions,
  DelimitedGarbage,
  GarbageOption,
  LengthPrefixedGarbage,
  MagicGarbage,
  SkipGarbage,
} from "./testing/conformance/options";
export { runProtocolConformance } from "./testing/conformance/run";
export type { CutProxy } from "./testing/cut-proxy";
export { startCutProxy } from "./testing/cut-proxy";
export type {
  DecodedStream,
  DecodeStreamOptions,
  StreamDropEvent,
  StreamEvent,
  StreamFatalEvent,
  StreamMessageEvent,
} from "./testing/decode-stream";
export { decodeStream } from "./testing/decode-stream";
export { createSocketPair, MemorySocket } from "./testing/socket-pair";
export type { ConnectFromOptions, NextEventOptions, UntilOptions } from "./testing/wait";
export { connectFrom, nextEvent, until } from "./testing/wait";
