/**
 * Helpers shared by the Taurus packages themselves (server, client, adapters):
 * option validation and the reconnect backoff. Not part of the public API:
 * they may change in any release. Applications should not import them.
 *
 * @module
 */

export { backoffDelay } from "./backoff";
export {
  type ConnectionOwner,
  connectionSerial,
  OWNER,
  serialOfConnectionId,
} from "./connection";
export { integerOption, oneOf } from "./options";
export {
  resolveSharedOptions,
  type SharedOptionDefaults,
} from "./shared-options";
export { type Sweepable, type SweeperLike, sweeper } from "./sweeper";
