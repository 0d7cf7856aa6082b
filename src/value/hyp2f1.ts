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
//
// The library (like scipy, whose Cephes code it shares) returns NaN in a few corners, e.g.
// 2F1(−0.95, 19; 263.05; 0.969), where a transformation it picks meets gamma functions of large
// arguments. There the Gauss series itself converges fine (|z| < 1, c large), so `hyp2f1` falls
// back to summing it; mpmath agrees to 1e-15 on such cases (test/value-math.test.ts).
import stdlibHyp2f1 from '@stdlib/math-base-special-hyp2f1'

/** 2F1(a, b; c; z) for real arguments (z < 1, or any z where the series terminates). */
export function hyp2f1(a: number, b: number, c: number, z: number): number {
  const v = stdlibHyp2f1(a, b, c, z)
  return Number.isNaN(v) && Math.abs(z) < 1 ? gaussSeries(a, b, c, z) : v
}

/**
 * Σ (a)_n (b)_n / ((c)_n n!) z^n, summed until the terms stop mattering (NaN if it does not
 * settle within a million terms). Only used where the library gives NaN.
 */
export function gaussSeries(a: number, b: number, c: number, z: number): number {
  let term = 1
  let sum = 1
  let comp = 0
  let small = 0
  for (let n = 0; n < 1_000_000; n++) {
    term *= (((a + n) * (b + n)) / ((c + n) * (n + 1))) * z
    if (term === 0) return sum + comp
    // Neumaier summation: the terms may alternate at first
    const s = sum + term
    comp += Math.abs(sum) >= Math.abs(term) ? sum - s + term : term - s + sum
    sum = s
    if (!Number.isFinite(sum)) return sum
    // stop after a few consecutive negligible terms once they are shrinking
    if (Math.abs(term) < 1e-17 * Math.abs(sum) && n > Math.abs(a) + Math.abs(b)) {
      if (++small >= 3) return sum + comp
    } else small = 0
  }
  return NaN
}

/**
 * (1 - z)^a · 2F1(a, b; c; z) for 0 ≤ z < 1, without forming 2F1 itself. Euler's transformation
 * 2F1(a, b; c; z) = (1 - z)^(c - a - b) 2F1(c - a, c - b; c; z) gives
 * (1 - z)^(c - b) · 2F1(c - a, c - b; c; z): for the BG/NBD, c - a = a_m + b_m - 1 - r and
 * c - b = a_m - 1 do not grow with x, and c does, so the series converges fast and nothing overflows.
 */
export function scaledHyp2f1(a: number, b: number, c: number, z: number): number {
  if (z === 0) return 1
  return Math.pow(1 - z, c - b) * hyp2f1(c - a, c - b, c, z)
}
