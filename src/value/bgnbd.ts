// BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy way: an alternative to the
// Pareto/NBD model", Marketing Science 24(2), 275-284). While alive, a customer buys as a Poisson
// process with rate λ ~ Gamma(r, α); after every purchase it drops out with probability
// p ~ Beta(a, b). The time unit is whatever x, tx, T are in (the service uses days, so α is in days).
//
// Numerics: the likelihood (eq. 6 of the paper) is evaluated in logs. Its gamma-function ratios
// depend on x only and x is an integer, so lnΓ(r+x) − lnΓ(r) = Σ_{k<x} ln(r+k) (and the same for
// b and a+b) is tabulated once per evaluation up to the largest x: exact for large x, no lgamma
// calls per customer, and the gradient (Σ 1/(r+k)) comes with it. Customers with identical
// (x, tx, T) are aggregated before fitting, so a fit costs O(distinct (x, tx, T)) per evaluation.
import { scaledHyp2f1 } from './hyp2f1.ts'
import { minimizeMultiStart, type MinimizeOptions } from './optimize.ts'

/** The recency/frequency summary the model reads (summary.ts). */
export interface RfSummary {
  x: number
  tx: number
  T: number
}

export interface BgNbdParams {
  r: number
  alpha: number
  a: number
  b: number
}

export interface BgNbdFit extends BgNbdParams {
  logLikelihood: number
  customers: number
  converged: boolean
  iterations: number
}

/** Customers grouped by identical (x, tx, T), each with its multiplicity. */
export interface AggregatedRf {
  x: Int32Array
  tx: Float64Array
  T: Float64Array
  count: Float64Array
  /** Σ count. */
  customers: number
  maxX: number
  /**
   * The distinct values of tx and of T, and each row's index into them: in days there are at
   * most a few hundred of each, so ln(α + tx) and ln(α + T) are computed per distinct value.
   */
  txValues: Float64Array
  txIndex: Int32Array
  TValues: Float64Array
  TIndex: Int32Array
}

export function aggregateRf(customers: Iterable<RfSummary>): AggregatedRf {
  const index = new Map<string, number>()
  const xs: number[] = []
  const txs: number[] = []
  const Ts: number[] = []
  const counts: number[] = []
  let n = 0
  let maxX = 0
  for (const c of customers) {
    validate(c)
    const key = `${c.x}|${c.tx}|${c.T}`
    const i = index.get(key)
    if (i === undefined) {
      index.set(key, xs.length)
      xs.push(c.x)
      txs.push(c.tx)
      Ts.push(c.T)
      counts.push(1)
    } else counts[i]!++
    n++
    if (c.x > maxX) maxX = c.x
  }
  const [txValues, txIndex] = distinctIndex(txs)
  const [TValues, TIndex] = distinctIndex(Ts)
  return {
    x: Int32Array.from(xs),
    tx: Float64Array.from(txs),
    T: Float64Array.from(Ts),
    count: Float64Array.from(counts),
    customers: n,
    maxX,
    txValues,
    txIndex,
    TValues,
    TIndex,
  }
}

function distinctIndex(values: number[]): [Float64Array, Int32Array] {
  const at = new Map<number, number>()
  const distinct: number[] = []
  const index = new Int32Array(values.length)
  values.forEach((v, i) => {
    let j = at.get(v)
    if (j === undefined) {
      j = distinct.length
      at.set(v, j)
      distinct.push(v)
    }
    index[i] = j
  })
  return [Float64Array.from(distinct), index]
}

function validate(c: RfSummary): void {
  if (!(Number.isInteger(c.x) && c.x >= 0)) throw new RangeError(`x = ${c.x}: repeat purchases must be an integer ≥ 0`)
  if (!(c.tx >= 0 && c.T >= c.tx && Number.isFinite(c.T))) throw new RangeError(`need 0 ≤ tx ≤ T, got tx = ${c.tx}, T = ${c.T}`)
}

function positive(p: BgNbdParams): void {
  if (!(p.r > 0 && p.alpha > 0 && p.a > 0 && p.b > 0)) throw new RangeError('BG/NBD parameters must all be > 0')
}

/** ln of a + b from their logs, without overflow. */
function logAddExp(u: number, v: number): number {
  if (u === -Infinity) return v
  if (v === -Infinity) return u
  return u > v ? u + Math.log1p(Math.exp(v - u)) : v + Math.log1p(Math.exp(u - v))
}

/** The log-likelihood of one customer (eq. 6 of the paper, in logs). */
export function bgnbdLogLikelihoodOne(p: BgNbdParams, c: RfSummary): number {
  positive(p)
  validate(c)
  const { r, alpha, a, b } = p
  const { x, tx, T } = c
  let g = r * Math.log(alpha)
  for (let k = 0; k < x; k++) g += Math.log(r + k) + Math.log(b + k) - Math.log(a + b + k)
  const A3 = -(r + x) * Math.log(alpha + T)
  const A4 = x > 0 ? Math.log(a) - Math.log(b + x - 1) - (r + x) * Math.log(alpha + tx) : -Infinity
  return g + logAddExp(A3, A4)
}

/** Total log-likelihood over customers (aggregated or not). */
export function bgnbdLogLikelihood(p: BgNbdParams, data: AggregatedRf | Iterable<RfSummary>): number {
  positive(p)
  const agg = isAggregated(data) ? data : aggregateRf(data)
  const grad = new Float64Array(4)
  return -negLogLikelihood(agg, Float64Array.of(Math.log(p.r), Math.log(p.alpha), Math.log(p.a), Math.log(p.b)), grad) * agg.customers
}

function isAggregated(d: AggregatedRf | Iterable<RfSummary>): d is AggregatedRf {
  return (d as AggregatedRf).count instanceof Float64Array
}

/**
 * −LL / customers at u = ln(r, α, a, b), with its gradient in u. Scaled by the customer count so
 * the optimizer's tolerances do not depend on the data size.
 */
function negLogLikelihood(agg: AggregatedRf, u: Float64Array, grad: Float64Array): number {
  const r = Math.exp(u[0]!)
  const alpha = Math.exp(u[1]!)
  const a = Math.exp(u[2]!)
  const b = Math.exp(u[3]!)
  if (!(r > 0 && alpha > 0 && a > 0 && b > 0 && Number.isFinite(r + alpha + a + b))) return NaN
  const m = agg.maxX + 1
  // cumulative Σ_{k<x} ln(·+k) and Σ 1/(·+k) for r, b, a+b
  const Sr = new Float64Array(m)
  const Sb = new Float64Array(m)
  const Sab = new Float64Array(m)
  const Dr = new Float64Array(m)
  const Db = new Float64Array(m)
  const Dab = new Float64Array(m)
  for (let k = 1; k < m; k++) {
    Sr[k] = Sr[k - 1]! + Math.log(r + k - 1)
    Sb[k] = Sb[k - 1]! + Math.log(b + k - 1)
    Sab[k] = Sab[k - 1]! + Math.log(a + b + k - 1)
    Dr[k] = Dr[k - 1]! + 1 / (r + k - 1)
    Db[k] = Db[k - 1]! + 1 / (b + k - 1)
    Dab[k] = Dab[k - 1]! + 1 / (a + b + k - 1)
  }
  const lnAlpha = Math.log(alpha)
  const lnA = Math.log(a)
  // ln(α + ·) and 1/(α + ·) per distinct tx and T; ln(b + x − 1) per x
  const lTv = agg.TValues.map((v) => Math.log(alpha + v))
  const iTv = agg.TValues.map((v) => 1 / (alpha + v))
  const lTxv = agg.txValues.map((v) => Math.log(alpha + v))
  const iTxv = agg.txValues.map((v) => 1 / (alpha + v))
  const lbx = new Float64Array(m)
  for (let k = 1; k < m; k++) lbx[k] = Math.log(b + k - 1)
  let ll = 0
  let gr = 0
  let gAlpha = 0
  let ga = 0
  let gb = 0
  const n = agg.x.length
  for (let i = 0; i < n; i++) {
    const x = agg.x[i]!
    const w = agg.count[i]!
    const ti = agg.TIndex[i]!
    const lT = lTv[ti]!
    const A3 = -(r + x) * lT
    let lse = A3
    let w4 = 0
    let lTx = 0
    let iTx = 0
    if (x > 0) {
      const j = agg.txIndex[i]!
      lTx = lTxv[j]!
      iTx = iTxv[j]!
      const d = lnA - lbx[x]! - (r + x) * lTx - A3 // A4 − A3
      // lse = logaddexp(A3, A4) and w4 = e^A4 / (e^A3 + e^A4), with one exp and one log1p
      if (d > 0) {
        const e = Math.exp(-d)
        lse = A3 + d + Math.log1p(e)
        w4 = 1 / (1 + e)
      } else {
        const e = Math.exp(d)
        lse = A3 + Math.log1p(e)
        w4 = e / (1 + e)
      }
    }
    const w3 = 1 - w4
    ll += w * (Sr[x]! + r * lnAlpha + Sb[x]! - Sab[x]! + lse)
    gr += w * (Dr[x]! + lnAlpha - w3 * lT - w4 * lTx)
    gAlpha += w * (r / alpha - (r + x) * (w3 * iTv[ti]! + w4 * iTx))
    ga += w * (-Dab[x]! + w4 / a)
    gb += w * (Db[x]! - Dab[x]! - (x > 0 ? w4 / (b + x - 1) : 0))
  }
  const N = agg.customers
  grad[0] = (-gr * r) / N
  grad[1] = (-gAlpha * alpha) / N
  grad[2] = (-ga * a) / N
  grad[3] = (-gb * b) / N
  return -ll / N
}

export interface BgNbdFitOptions extends MinimizeOptions {
  /** Starting points (r, α, a, b); default: three spread over the plausible range, α scaled to the data. */
  starts?: ReadonlyArray<BgNbdParams>
}

/** Maximum-likelihood fit over all customers (several BFGS starts in log-space, the best kept). */
export function fitBgNbd(data: AggregatedRf | Iterable<RfSummary>, opts: BgNbdFitOptions = {}): BgNbdFit {
  const agg = isAggregated(data) ? data : aggregateRf(data)
  if (agg.customers === 0) throw new RangeError('fitBgNbd: no customers')
  let meanT = 0
  for (let i = 0; i < agg.T.length; i++) meanT += agg.T[i]! * agg.count[i]!
  meanT = Math.max(1e-6, meanT / agg.customers)
  const starts = opts.starts ?? [
    { r: 1, alpha: meanT / 4, a: 1.2, b: 2 },
    { r: 0.3, alpha: meanT / 10, a: 0.5, b: 3 },
    { r: 3, alpha: meanT, a: 2, b: 1 },
  ]
  const res = minimizeMultiStart(
    (u, g) => negLogLikelihood(agg, u, g),
    starts.map((s) => [Math.log(s.r), Math.log(s.alpha), Math.log(s.a), Math.log(s.b)]),
    { gradTol: opts.gradTol ?? 1e-10, fTol: opts.fTol, maxIter: opts.maxIter ?? 1000 },
  )
  const [r, alpha, a, b] = Array.from(res.u, Math.exp) as [number, number, number, number]
  return { r, alpha, a, b, logLikelihood: -res.f * agg.customers, customers: agg.customers, converged: res.converged, iterations: res.iterations }
}

/** ln of a/(b+x−1) · ((α+T)/(α+tx))^(r+x): the odds of "dropped out after the last purchase". */
function logDeadOdds(p: BgNbdParams, c: RfSummary): number {
  if (c.x === 0) return -Infinity
  return Math.log(p.a) - Math.log(p.b + c.x - 1) + (p.r + c.x) * (Math.log(p.alpha + c.T) - Math.log(p.alpha + c.tx))
}

/** P(alive at T | x, tx, T) (eq. 13 of the paper's technical note); 1 when x = 0. */
export function bgnbdPAlive(p: BgNbdParams, c: RfSummary): number {
  positive(p)
  validate(c)
  const lo = logDeadOdds(p, c)
  return lo === -Infinity ? 1 : 1 / (1 + Math.exp(lo))
}

/**
 * E[X(T, T+t) | x, tx, T]: expected purchases in the t time units after T (eq. 10 of the paper):
 *   (a+b+x−1)/(a−1) · [1 − ((α+T)/(α+T+t))^(r+x) 2F1(r+x, b+x; a+b+x−1; t/(α+T+t))] · P(alive).
 * The bracket's product is `scaledHyp2f1` (no overflow for large x). At a = 1 the formula is 0/0;
 * there it is the mean of the values at a = 1 ± 1e-5 (error ~1e-10 relative; the limit is smooth).
 */
export function bgnbdExpectedPurchases(p: BgNbdParams, c: RfSummary, t: number): number {
  positive(p)
  validate(c)
  if (!(t >= 0)) throw new RangeError(`t = ${t}: need t ≥ 0`)
  if (t === 0) return 0
  if (Math.abs(p.a - 1) < 1e-5) {
    return 0.5 * (expectedRaw({ ...p, a: 1 - 1e-5 }, c, t) + expectedRaw({ ...p, a: 1 + 1e-5 }, c, t))
  }
  return expectedRaw(p, c, t)
}

function expectedRaw(p: BgNbdParams, c: RfSummary, t: number): number {
  const { r, alpha, a, b } = p
  const { x, T } = c
  const z = t / (alpha + T + t)
  const D = scaledHyp2f1(r + x, b + x, a + b + x - 1, z)
  const lo = logDeadOdds(p, c)
  const pAlive = lo === -Infinity ? 1 : 1 / (1 + Math.exp(lo))
  return Math.max(0, ((a + b + x - 1) / (a - 1)) * (1 - D) * pAlive)
}

/** E[X(t)] for a customer just acquired (eq. 9): the conditional expectation at x = tx = T = 0. */
export function bgnbdExpectedPurchasesNew(p: BgNbdParams, t: number): number {
  return bgnbdExpectedPurchases(p, { x: 0, tx: 0, T: 0 }, t)
}
