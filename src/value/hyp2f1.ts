// The Gauss hypergeometric function 2F1, needed by the BG/NBD conditional expectation.
//
// From @stdlib/math-base-special-hyp2f1 (Apache-2.0, a port of the Cephes routine with its
// transformations for z near 1): against scipy.special.hyp2f1 it agrees to ~5e-15 relative over
// the BG/NBD's region (a = r + x, b = b + x, c = a + b + x - 1, z = t / (alpha + T + t) in [0, 1),
// x up to 200; test/value-math.test.ts), so we do not write our own.
//
// That region has one real problem: c - a - b = a - 1 - r - x is very negative for large x, so
// 2F1 grows like (1 - z)^(c - a - b) and overflows (x = 200, z = 0.999 is beyond 1e308), while the
// quantity the model needs, (1 - z)^a 2F1(a, b; c; z), is at most 1. `scaledHyp2f1` computes that
// product through Euler's transformation instead, where the parameters stay small.
import stdlibHyp2f1 from '@stdlib/math-base-special-hyp2f1'

/** 2F1(a, b; c; z) for real arguments (z < 1, or any z where the series terminates). */
export function hyp2f1(a: number, b: number, c: number, z: number): number {
  return stdlibHyp2f1(a, b, c, z)
}

/**
 * (1 - z)^a · 2F1(a, b; c; z) for 0 ≤ z < 1, without forming 2F1 itself. Euler's transformation
 * 2F1(a, b; c; z) = (1 - z)^(c - a - b) 2F1(c - a, c - b; c; z) gives
 * (1 - z)^(c - b) · 2F1(c - a, c - b; c; z): for the BG/NBD, c - a = a_m + b_m - 1 - r and
 * c - b = a_m - 1 do not grow with x, and c does, so the series converges fast and nothing overflows.
 */
export function scaledHyp2f1(a: number, b: number, c: number, z: number): number {
  if (z === 0) return 1
  return Math.pow(1 - z, c - b) * stdlibHyp2f1(c - a, c - b, c, z)
}
