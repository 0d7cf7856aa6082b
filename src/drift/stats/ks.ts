// Two-sample Kolmogorov-Smirnov test (scipy.stats.ks_2samp): the statistic, its exact
// distribution for samples up to KS_MAX_EXACT_N and the asymptotic one beyond.
import { kolmogorovNSf } from './kolmogorov.ts'
import { gcd, roundHalfEven, sorted } from './samples.ts'

export type KsMethod = 'auto' | 'exact' | 'asymp'

export interface KsResult {
  /** sup_x |F1(x) - F2(x)| of the two empirical CDFs, in [0, 1]. */
  statistic: number
  /** Two-sided p-value. */
  pValue: number
  /** The method actually used. */
  method: 'exact' | 'asymp'
  n1: number
  n2: number
}

/** scipy's 'auto' rule: exact when both samples have at most this many points. */
export const KS_MAX_EXACT_N = 10_000

/** KS statistic of two ascending samples (ties handled: the ECDFs are compared after each distinct value). */
export function ksStatisticSorted(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n1 = a.length
  const n2 = b.length
  let i = 0
  let j = 0
  let d = 0
  while (i < n1 && j < n2) {
    const x = Math.min(a[i]!, b[j]!)
    while (i < n1 && a[i]! <= x) i++
    while (j < n2 && b[j]! <= x) j++
    const diff = Math.abs(i / n1 - j / n2)
    if (diff > d) d = diff
  }
  // Once one sample is exhausted its ECDF is 1; the other's only grows to 1 from here, so the
  // largest gap at the remaining points was already seen at the current position.
  return d
}

/**
 * Exact P(D ≥ d) for two samples of sizes n1, n2 under H0 (no ties), by counting lattice paths
 * (Hodges 1958, "inside" method) with Viehmann's (2021) recursion that carries the proportion of
 * paths that have already left the band, so no binomial coefficients or rescaling are needed.
 * Cost O(max(n1, n2) · min(n1, n2) · min(1, 2d)): about 2 ms for 4,400 x 1,000 points at d = 0.05,
 * 20 ms at d = 1. Returns the p-value and d rounded to the lattice (h / lcm), as scipy.
 */
export function ksExactPValue(n1: number, n2: number, d: number): { pValue: number; statistic: number } {
  const m = Math.max(n1, n2)
  const n = Math.min(n1, n2)
  const g = gcd(m, n)
  const mg = m / g
  const ng = n / g
  const lcm = mg * n
  const h = Math.round(d * lcm)
  const statistic = h / lcm
  if (h === 0) return { pValue: 1, statistic }
  // Cell (i, j): i steps of the m-sample, j of the n-sample; inside the band iff |ng·i - mg·j| < h.
  // q(i, j) = share of the paths from (0, 0) to (i, j) that left the band at some point:
  // q = 1 outside, q(i, j) = (i q(i-1, j) + j q(i, j-1)) / (i + j) inside, q(0, 0) = 0.
  // One column at a time, in place: the window [lo, hi] of inside cells only moves up, so cells
  // above it still hold their initial 1 and the cell just below it counts as 1.
  const q = new Float64Array(n + 1).fill(1)
  const inv = new Float64Array(m + n + 1) // 1 / k, so the inner loop has no division
  for (let k = 1; k <= m + n; k++) inv[k] = 1 / k
  const hi0 = Math.min(n, Math.ceil(h / mg) - 1)
  for (let j = 0; j <= hi0; j++) q[j] = 0
  for (let i = 1; i <= m; i++) {
    const lo = Math.max(0, Math.floor((ng * i - h) / mg) + 1)
    const hi = Math.min(n, Math.ceil((ng * i + h) / mg) - 1)
    if (lo > hi) return { pValue: 1, statistic }
    let below = lo === 0 ? 0 : 1
    for (let j = lo; j <= hi; j++) {
      const r = inv[i + j]!
      below = i * r * q[j]! + j * r * below
      // Flush what would become subnormal (slow arithmetic): the mass lost is < 1e-270 in all.
      if (below < 1e-280) below = 0
      q[j] = below
    }
  }
  const p = q[n]!
  return { pValue: Math.min(1, Math.max(0, p)), statistic }
}

/**
 * Two-sample, two-sided Kolmogorov-Smirnov test, as scipy.stats.ks_2samp(a, b) (method 'auto').
 * 'auto' uses the exact distribution when both samples have ≤ 10,000 points (scipy's rule) and
 * the asymptotic one otherwise: P(D_{round(en)} ≥ d) of the one-sample distribution with
 * en = n1·n2 / (n1 + n2), as scipy ≥ 1.5. NaN values are dropped.
 */
export function ksTwoSample(a: ArrayLike<number>, b: ArrayLike<number>, method: KsMethod = 'auto'): KsResult {
  const x = sorted(a)
  const y = sorted(b)
  const n1 = x.length
  const n2 = y.length
  if (n1 === 0 || n2 === 0) throw new RangeError('ksTwoSample needs two non-empty samples')
  let d = ksStatisticSorted(x, y)
  let mode: 'exact' | 'asymp' = method === 'auto' ? (Math.max(n1, n2) <= KS_MAX_EXACT_N ? 'exact' : 'asymp') : method
  // Lattice beyond exact integer arithmetic in doubles: fall back like scipy does.
  if (mode === 'exact' && (n1 / gcd(n1, n2)) * n2 > 2 ** 31) mode = 'asymp'
  let pValue: number
  if (mode === 'exact') {
    const r = ksExactPValue(n1, n2, d)
    d = r.statistic
    pValue = r.pValue
  } else {
    const en = (n1 * n2) / (n1 + n2)
    pValue = kolmogorovNSf(Math.max(1, roundHalfEven(en)), d)
  }
  return { statistic: d, pValue: Math.min(1, Math.max(0, pValue)), method: mode, n1, n2 }
}
