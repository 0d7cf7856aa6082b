// Gamma-Gamma spend model (Fader, Hardie & Lee 2005, "RFM and CLV: using iso-value curves for
// customer base analysis", Journal of Marketing Research 42(4), 415-430; written out in Fader &
// Hardie, "The Gamma-Gamma model of monetary value", 2013). A customer's purchase values are
// Gamma(p, ν), its ν ~ Gamma(q, γ); the mean z̄ of its x repeat-purchase values then has density
//   f(z̄ | p, q, γ, x) = Γ(px+q) / (Γ(px) Γ(q)) · γ^q · z̄^(px−1) · x^(px) / (γ + x z̄)^(px+q).
// Fitted over customers with x > 0 and z̄ > 0 (the others carry no spend information). The
// spend model assumes spend independent of the purchase process, as the paper does.
//
// The gamma-function terms depend on x only, so they are evaluated once per distinct x per
// likelihood evaluation (with digamma for the gradient); per customer only ln(γ + x z̄) remains.
import gammaln from '@stdlib/math-base-special-gammaln'
import digamma from '@stdlib/math-base-special-digamma'
import { minimizeMultiStart, type MinimizeOptions } from './optimize.ts'

/** A customer's spend summary: repeat purchases and the mean value of those purchases. */
export interface SpendSummary {
  x: number
  meanValue: number
}

export interface GammaGammaParams {
  p: number
  q: number
  gamma: number
}

export interface GammaGammaFit extends GammaGammaParams {
  logLikelihood: number
  /** Customers the fit used (x > 0 and mean value > 0). */
  customers: number
  converged: boolean
  iterations: number
}

/** Whether a customer carries spend information for the model. */
export function usableForSpend(c: SpendSummary): boolean {
  return c.x > 0 && c.meanValue > 0 && Number.isFinite(c.meanValue)
}

function positive(p: GammaGammaParams): void {
  if (!(p.p > 0 && p.q > 0 && p.gamma > 0)) throw new RangeError('Gamma-Gamma parameters must all be > 0')
}

/** The log-likelihood of one customer (x > 0, mean value > 0). */
export function ggLogLikelihoodOne(p: GammaGammaParams, c: SpendSummary): number {
  positive(p)
  if (!usableForSpend(c)) throw new RangeError('ggLogLikelihoodOne: need x > 0 and a positive mean value')
  const px = p.p * c.x
  return (
    gammaln(px + p.q) - gammaln(px) - gammaln(p.q) + p.q * Math.log(p.gamma) + (px - 1) * Math.log(c.meanValue) +
    px * Math.log(c.x) - (px + p.q) * Math.log(p.gamma + c.x * c.meanValue)
  )
}

/** Customers grouped by x, with what the likelihood needs of them. */
interface SpendData {
  /** Distinct x, and per distinct x: customers and Σ ln z̄. */
  xs: Float64Array
  nAt: Float64Array
  sumLnM: Float64Array
  /** Per customer: its group and x·z̄. */
  group: Int32Array
  xm: Float64Array
  customers: number
}

function prepare(data: Iterable<SpendSummary>): SpendData {
  const groups = new Map<number, number>()
  const xs: number[] = []
  const nAt: number[] = []
  const sumLnM: number[] = []
  const group: number[] = []
  const xm: number[] = []
  for (const c of data) {
    if (!usableForSpend(c)) continue
    let g = groups.get(c.x)
    if (g === undefined) {
      g = xs.length
      groups.set(c.x, g)
      xs.push(c.x)
      nAt.push(0)
      sumLnM.push(0)
    }
    nAt[g]!++
    sumLnM[g]! += Math.log(c.meanValue)
    group.push(g)
    xm.push(c.x * c.meanValue)
  }
  return {
    xs: Float64Array.from(xs),
    nAt: Float64Array.from(nAt),
    sumLnM: Float64Array.from(sumLnM),
    group: Int32Array.from(group),
    xm: Float64Array.from(xm),
    customers: group.length,
  }
}

/** Total log-likelihood over the usable customers (the others are skipped). */
export function ggLogLikelihood(p: GammaGammaParams, data: Iterable<SpendSummary>): number {
  positive(p)
  const d = prepare(data)
  return -negLogLikelihood(d, Float64Array.of(Math.log(p.p), Math.log(p.q), Math.log(p.gamma)), new Float64Array(3)) * d.customers
}

// −LL / customers at u = ln(p, q, γ) and its gradient in u
function negLogLikelihood(d: SpendData, u: Float64Array, grad: Float64Array): number {
  const p = Math.exp(u[0]!)
  const q = Math.exp(u[1]!)
  const gamma = Math.exp(u[2]!)
  if (!(p > 0 && q > 0 && gamma > 0 && Number.isFinite(p + q + gamma))) return NaN
  const lnGamma = Math.log(gamma)
  const lgq = gammaln(q)
  const psiq = digamma(q)
  // per distinct x: the terms that do not involve z̄ individually
  let ll = 0
  let gp = 0
  let gq = 0
  let gg = 0
  const G = d.xs.length
  const coefX = new Float64Array(G) // px + q per group
  for (let g = 0; g < G; g++) {
    const x = d.xs[g]!
    const n = d.nAt[g]!
    const px = p * x
    const lnx = Math.log(x)
    const psiPxq = digamma(px + q)
    ll += n * (gammaln(px + q) - gammaln(px) - lgq + q * lnGamma + px * lnx) + (px - 1) * d.sumLnM[g]!
    gp += n * (x * psiPxq - x * digamma(px) + x * lnx) + x * d.sumLnM[g]!
    gq += n * (psiPxq - psiq + lnGamma)
    gg += (n * q) / gamma
    coefX[g] = px + q
  }
  const n = d.group.length
  for (let i = 0; i < n; i++) {
    const g = d.group[i]!
    const s = gamma + d.xm[i]!
    const ls = Math.log(s)
    const c = coefX[g]!
    ll -= c * ls
    gp -= d.xs[g]! * ls
    gq -= ls
    gg -= c / s
  }
  const N = d.customers
  grad[0] = (-gp * p) / N
  grad[1] = (-gq * q) / N
  grad[2] = (-gg * gamma) / N
  return -ll / N
}

export interface GammaGammaFitOptions extends MinimizeOptions {
  /** Starting points; default: three spread around the data's mean value. */
  starts?: ReadonlyArray<GammaGammaParams>
}

/** Maximum-likelihood fit over the customers with x > 0 and a positive mean repeat value. */
export function fitGammaGamma(data: Iterable<SpendSummary>, opts: GammaGammaFitOptions = {}): GammaGammaFit {
  const d = prepare(data)
  if (d.customers === 0) throw new RangeError('fitGammaGamma: no customer with x > 0 and a positive mean value')
  let mean = 0
  for (let i = 0; i < d.xm.length; i++) mean += d.xm[i]! / d.xs[d.group[i]!]!
  mean /= d.customers
  // E[z̄] = pγ/(q−1): starts with that mean at different shapes
  const starts = opts.starts ?? [
    { p: 1, q: 2, gamma: mean },
    { p: 5, q: 3, gamma: (2 * mean) / 5 },
    { p: 0.5, q: 5, gamma: 8 * mean },
  ]
  const res = minimizeMultiStart(
    (u, g) => negLogLikelihood(d, u, g),
    starts.map((s) => [Math.log(s.p), Math.log(s.q), Math.log(s.gamma)]),
    { gradTol: opts.gradTol ?? 1e-10, fTol: opts.fTol, maxIter: opts.maxIter ?? 1000 },
  )
  const [p, q, gamma] = Array.from(res.u, Math.exp) as [number, number, number]
  return { p, q, gamma, logLikelihood: -res.f * d.customers, customers: d.customers, converged: res.converged, iterations: res.iterations }
}

/** The population mean purchase value pγ/(q−1); null when q ≤ 1 (the mean is infinite). */
export function ggPopulationMean(p: GammaGammaParams): number | null {
  positive(p)
  return p.q > 1 ? (p.p * p.gamma) / (p.q - 1) : null
}

/**
 * E[M | p, q, γ, z̄, x]: the expected value of a purchase of this customer (eq. 5 of the note),
 *   (γ + x z̄) p / (px + q − 1),
 * a weighted mean of the population mean and the customer's own mean. For x = 0 (or no usable
 * mean value) it is the population mean; null where that mean is infinite (q ≤ 1).
 */
export function ggExpectedValue(p: GammaGammaParams, x: number, meanValue: number | null): number | null {
  positive(p)
  if (x > 0 && meanValue !== null && meanValue > 0 && Number.isFinite(meanValue)) {
    const den = p.p * x + p.q - 1
    return den > 0 ? ((p.gamma + x * meanValue) * p.p) / den : null
  }
  return ggPopulationMean(p)
}
