// Distributions of the Kolmogorov-Smirnov statistic:
//   - kolmogorovSf: the limiting Kolmogorov distribution (scipy.stats.kstwobign.sf).
//   - kolmogorovNSf(n, d): P(D_n ≥ d) for the one-sample two-sided statistic (scipy.stats.kstwo.sf),
//     following Simard & L'Ecuyer (2011): exact Ruben-Gambino tails, 2·smirnov(n, d) (exact for
//     d ≥ 1/2, Miller's approximation when n·d² ≥ 2.2) and the Pelz-Good expansion elsewhere.
//     scipy uses the exact Durbin matrix / Pomeranz algorithms instead for n ≤ 140 (and for
//     n·d^1.5 ≤ 1.4): measured against scipy 1.17, the absolute difference is 5e-3 at n = 5,
//     1e-4 at n = 20, < 5e-6 from n = 100 and < 1e-8 from n = 500.
import { lnGamma } from './special.ts'

/**
 * Limiting Kolmogorov distribution, P(K ≥ x) with K = sup|B(t)| (scipy.stats.kstwobign.sf).
 * Alternating series 2 Σ (-1)^(k-1) exp(-2k²x²) for x ≥ 1, Jacobi theta form for small x.
 */
export function kolmogorovSf(x: number): number {
  if (Number.isNaN(x)) return x
  if (x <= 0) return 1
  if (x < 1) {
    // 1 - sqrt(2π)/x Σ_{k≥1} exp(-(2k-1)² π² / (8x²))
    const w = (-Math.PI * Math.PI) / (8 * x * x)
    let s = 0
    for (let k = 1; k < 100; k++) {
      const term = Math.exp(w * (2 * k - 1) * (2 * k - 1))
      s += term
      if (term < 1e-17 * s) break
    }
    return 1 - (Math.sqrt(2 * Math.PI) / x) * s
  }
  let s = 0
  let sign = 1
  for (let k = 1; k < 100; k++) {
    const term = Math.exp(-2 * k * k * x * x)
    s += sign * term
    if (term < 1e-17) break
    sign = -sign
  }
  return Math.min(1, Math.max(0, 2 * s))
}

/**
 * Exact one-sided one-sample Smirnov probability P(D_n⁺ ≥ d) (scipy.special.smirnov), by the
 * Birnbaum-Tingey formula d Σ_{j=0}^{⌊n(1-d)⌋} C(n, j) (1 - d - j/n)^(n-j) (d + j/n)^(j-1).
 * Every term is positive; each is evaluated in logs. O(n).
 */
export function smirnovSf(n: number, d: number): number {
  if (!(n >= 1) || Number.isNaN(d)) return Number.NaN
  if (d <= 0) return 1
  if (d >= 1) return 0
  const jmax = Math.floor(n * (1 - d) + 1e-12)
  let lnBinom = 0 // ln C(n, j), updated term by term
  let sum = 0
  for (let j = 0; j <= jmax; j++) {
    if (j > 0) lnBinom += Math.log((n - j + 1) / j)
    const a = 1 - d - j / n
    if (a <= 0) continue // (1 - d - j/n)^(n-j) = 0: j < n since d > 0
    sum += Math.exp(lnBinom + (n - j) * Math.log(a) + (j - 1) * Math.log(d + j / n)) * d
  }
  return Math.min(1, Math.max(0, sum))
}

/** ln(n! / n^n). */
function lnFactorialOverPower(n: number): number {
  return lnGamma(n + 1) - n * Math.log(n)
}

/** Pelz-Good (1976) asymptotic expansion of P(D_n ≤ x), as given by Simard & L'Ecuyer (2011). */
function pelzGoodCdf(n: number, x: number): number {
  const z = Math.sqrt(n) * x
  const z2 = z * z
  const z4 = z2 * z2
  const z6 = z4 * z2
  const pi2 = Math.PI * Math.PI
  const pi4 = pi2 * pi2
  const pi6 = pi4 * pi2
  const w = -pi2 / (8 * z2)
  if (w < -708) return 0
  const terms = Math.ceil((16 * z) / Math.PI) + 2
  let k0 = 0
  let k1 = 0
  let k2 = 0
  let k3 = 0
  for (let k = 1; k <= terms; k++) {
    const m2 = (2 * k - 1) * (2 * k - 1)
    const m4 = m2 * m2
    const e = Math.exp(w * m2)
    if (e === 0) break
    k0 += e
    k1 += ((pi2 * m2) / 4 - z2) * e
    k2 += (6 * z6 + 2 * z4 + ((pi2 * m2) / 4) * (2 * z4 - 5 * z2) + ((pi4 * m4) / 16) * (1 - 2 * z2)) * e
    k3 += ((pi6 * m4 * m2) / 64 * (5 - 30 * z2) + ((pi4 * m4) / 16) * (212 * z4 - 60 * z2) +
      ((pi2 * m2) / 4) * (135 * z4 - 96 * z6) - (30 * z6 + 90 * z4 * z4)) * e
  }
  const s2pi = Math.sqrt(2 * Math.PI)
  k0 *= s2pi / z
  k1 *= s2pi / (6 * z4)
  k2 *= s2pi / (72 * z6 * z)
  k3 *= s2pi / (6480 * z6 * z4)
  // Second sums over all integers k ≥ 1 with exp(-π² k² / (2z²)).
  const v = -pi2 / (2 * z2)
  let s2 = 0
  let s3 = 0
  for (let k = 1; k <= terms; k++) {
    const k2sq = k * k
    const e = Math.exp(v * k2sq)
    if (e === 0) break
    s2 += k2sq * e
    s3 += (3 * z2 - pi2 * k2sq) * k2sq * e
  }
  k2 -= (pi2 * s2pi * s2) / (36 * z2 * z)
  k3 += (pi2 * s2pi * s3) / (216 * z6)
  const rn = Math.sqrt(n)
  return k0 + k1 / rn + k2 / n + k3 / (n * rn)
}

/**
 * P(D_n ≥ d) for the two-sided one-sample Kolmogorov-Smirnov statistic with n points
 * (scipy.stats.kstwo.sf). See the header of this file for the algorithms and their accuracy.
 */
export function kolmogorovNSf(n: number, d: number): number {
  if (!(n >= 1) || Number.isNaN(d)) return Number.NaN
  if (d >= 1) return 0
  if (d <= 0) return 1
  const t = n * d
  if (t <= 1) {
    if (t <= 0.5) return 1
    // Ruben-Gambino: P(D_n ≤ d) = n!/n^n (2t - 1)^n for 1/(2n) ≤ d ≤ 1/n.
    return 1 - Math.exp(lnFactorialOverPower(n) + n * Math.log(2 * t - 1))
  }
  if (t >= n - 1) return 2 * Math.pow(1 - d, n)
  if (d >= 0.5) return Math.min(1, 2 * smirnovSf(n, d))
  const nd2 = t * d
  if (nd2 >= 370) return 0
  if (nd2 >= 2.2) return Math.min(1, 2 * smirnovSf(n, d))
  return Math.min(1, Math.max(0, 1 - pelzGoodCdf(n, d)))
}
