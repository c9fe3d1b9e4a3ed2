/**
 * The delay before reconnection attempt `attempt` (1 for the first retry):
 * exponential backoff with equal jitter. With
 * `d = min(maxDelay, baseDelay * 2^(attempt-1))`, the delay is uniform in
 * `[d/2, d]`, so clients that lost the same server do not all come back in
 * the same millisecond, and none waits less than half its backoff. The client
 * (`retryDelay`, `maxRetryDelay`) and adapter-redis (the same names) both use it.
 *
 * @param attempt - the retry number, from 1
 * @param baseDelay - the base delay in milliseconds (`retryDelay`)
 * @param maxDelay - the cap in milliseconds (`maxRetryDelay`)
 * @param random - a source of uniform random numbers in `[0, 1)` (default `Math.random`)
 * @returns the delay in milliseconds, in `[d/2, d]` (0 when `baseDelay` is 0 or less)
 * @throws nothing: any attempt number, including huge ones, gives a capped delay
 */
export function backoffDelay(
  attempt: number,
  baseDelay: number,
  maxDelay: number,
  random: () => number = Math.random,
): number {
  const exponent = Math.max(0, attempt - 1);
  // 2^exponent overflows to Infinity for large exponents: min() then caps it.
  const d = baseDelay <= 0 ? 0 : Math.min(maxDelay, baseDelay * 2 ** exponent);
  const r = Math.min(1, Math.max(0, random()));
  return d / 2 + r * (d / 2);
}
