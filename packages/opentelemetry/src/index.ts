/**
 * OpenTelemetry instrumentation for Taurus: subscribes to the
 * `node:diagnostics_channel` channels of `@taurus/core-conn`, `@taurus/server`
 * and `@taurus/client` and turns them into spans and metrics through
 * `@opentelemetry/api` (a peer dependency).
 *
 * @module
 */

export type { TaurusInstrumentationOptions } from "./instrumentation";
export { INSTRUMENTATION_NAME, TaurusInstrumentation } from "./instrumentation";
