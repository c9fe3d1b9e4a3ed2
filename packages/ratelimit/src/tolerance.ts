/**
 * Tokens are fractional and refills are computed in floating point, so a
 * bucket that should hold exactly `n` tokens may hold `n - 1e-15`. Takes and
 * delays tolerate this much shortfall (a billionth of a token).
 *
 * @internal
 */
export const TOKEN_EPSILON = 1e-9;
