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
export type { LogSummary, LogThrottleOptions } from "./log-throttle";
export { DEFAULT_LINES_PER_CODE, DEFAULT_MAX_LOG_KEYS, LogThrottle } from "./log-throttle";
export type { SharedBucket, SharedBucketsOptions } from "./shared-buckets";
export { DEFAULT_MAX_SHARED_KEYS, SharedBuckets } from "./shared-buckets";
export type { TokenBucketOptions } from "./token-bucket";
export { createMessageLimiter, DEFAULT_RATE, TokenBucket } from "./token-bucket";
