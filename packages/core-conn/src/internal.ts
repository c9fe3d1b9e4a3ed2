/**
 * Helpers shared by the Taurus packages themselves (server, client, adapters):
 * option validation and the reconnect backoff. Not part of the public API:
 * they may change in any release. Applications should not import them.
 *
 * @module
 */

export { backoffDelay } from "./backoff";
export { type ConnectionOwner, OWNER } from "./connection";
export { integerOption, oneOf } from "./options";
export {
  resolveSharedOptions,
  type SharedOptionDefaults,
} from "./shared-options";
