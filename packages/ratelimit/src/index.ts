export type { Clock } from "./clock";
export { DEFAULT_CLOCK } from "./clock";
export type {
  ConnectionDecision,
  ConnectionLimiterOptions,
  ConnectionPermit,
  ConnectionRefusal,
} from "./connection-limiter";
export {
  ConnectionLimiter,
  DEFAULT_MAX_PER_IP,
  DEFAULT_MAX_TRACKED_IPS,
  DEFAULT_PER_IP_RATE,
} from "./connection-limiter";
export { InvalidOptionError } from "./errors";
export type { TokenBucketOptions } from "./token-bucket";
export { createMessageLimiter, DEFAULT_RATE, TokenBucket } from "./token-bucket";
