/**
 * A monotonic clock returning milliseconds. Only differences between two
 * readings matter; the origin is arbitrary.
 */
export type Clock = () => number;

/**
 * The default clock: `performance.now()`, monotonic and sub-millisecond.
 */
export const DEFAULT_CLOCK: Clock = () => performance.now();
