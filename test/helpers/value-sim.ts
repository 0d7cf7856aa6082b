// Data simulated from the value models' generative processes, for recovery tests and benchmarks.
import { mulberry32, type Rng } from '../../src/pipeline/prng.ts'
import type { BgNbdParams, RfSummary } from '../../src/value/bgnbd.ts'
import type { GammaGammaParams, SpendSummary } from '../../src/value/gamma-gamma.ts'

function normal(rng: Rng): number {
  let u = rng()
  while (u === 0) u = rng()
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng())
}

/** Gamma(shape, scale 1) by Marsaglia & Tsang (shape < 1 through the U^(1/shape) boost). */
export function gammaVariate(rng: Rng, shape: number): number {
  if (shape < 1) {
    let u = rng()
    while (u === 0) u = rng()
    return gammaVariate(rng, shape + 1) * Math.pow(u, 1 / shape)
  }
  const d = shape - 1 / 3
  const c = 1 / Math.sqrt(9 * d)
  for (;;) {
    let z: number
    let v: number
    do {
      z = normal(rng)
      v = 1 + c * z
    } while (v <= 0)
    v = v * v * v
    const u = rng()
    if (u < 1 - 0.0331 * z * z * z * z) return d * v
    if (Math.log(u) < 0.5 * z * z + d * (1 - v + Math.log(v))) return d * v
  }
}

export interface BgNbdSimOptions {
  customers: number
  seed: number
  /** Observation length T of each customer is uniform in [minT, maxT] (continuous, or whole days with `days`). */
  minT: number
  maxT: number
  /** Round purchase times down to whole days and merge purchases of the same day (as the service sees them). */
  days?: boolean
}

/**
 * BG/NBD: λ ~ Gamma(r, rate α), p ~ Beta(a, b); a first purchase at time 0, then Poisson(λ)
 * purchases; after each repeat purchase the customer drops out with probability p.
 */
export function simulateBgNbd(p: BgNbdParams, o: BgNbdSimOptions): RfSummary[] {
  const rng = mulberry32(o.seed)
  const out: RfSummary[] = []
  for (let i = 0; i < o.customers; i++) {
    const lambda = gammaVariate(rng, p.r) / p.alpha
    const ga = gammaVariate(rng, p.a)
    const drop = ga / (ga + gammaVariate(rng, p.b))
    let T = o.minT + (o.maxT - o.minT) * rng()
    if (o.days) T = Math.floor(T)
    let t = 0
    let x = 0
    let tx = 0
    let lastDay = 0
    for (;;) {
      t += -Math.log(1 - rng()) / lambda
      if (t > T) break
      if (o.days) {
        const day = Math.floor(t)
        if (day > T) break
        if (day !== lastDay) {
          x++
          tx = day
          lastDay = day
        }
      } else {
        x++
        tx = t
      }
      if (rng() < drop) break
    }
    out.push({ x, tx, T })
  }
  return out
}

/** Gamma-Gamma: ν ~ Gamma(q, rate γ); the mean of x purchase values Gamma(p, rate ν) is Gamma(px, rate xν). */
export function simulateGammaGamma(p: GammaGammaParams, o: { customers: number; seed: number; maxX: number }): SpendSummary[] {
  const rng = mulberry32(o.seed)
  const out: SpendSummary[] = []
  for (let i = 0; i < o.customers; i++) {
    const nu = gammaVariate(rng, p.q) / p.gamma
    const x = 1 + Math.floor(rng() * o.maxX)
    out.push({ x, meanValue: gammaVariate(rng, p.p * x) / (x * nu) })
  }
  return out
}

/**
 * Whole purchase histories from the BG/NBD process, in days: each customer's first purchase is
 * on a day uniform in [0, lastBirthDay], purchases continue (Poisson, drop-out after each repeat)
 * until `endDay`. Purchases on the same day are one purchase day, valued 1 each.
 */
export function simulateBgNbdHistories(p: BgNbdParams, o: { customers: number; seed: number; lastBirthDay: number; endDay: number }): { day: number; value: number }[][] {
  const rng = mulberry32(o.seed)
  const out: { day: number; value: number }[][] = []
  for (let i = 0; i < o.customers; i++) {
    const lambda = gammaVariate(rng, p.r) / p.alpha
    const ga = gammaVariate(rng, p.a)
    const drop = ga / (ga + gammaVariate(rng, p.b))
    const birth = Math.floor(rng() * (o.lastBirthDay + 1))
    const days = [{ day: birth, value: 1 }]
    let t = birth
    for (;;) {
      t += -Math.log(1 - rng()) / lambda
      const day = Math.floor(t)
      if (day > o.endDay) break
      if (day !== days[days.length - 1]!.day) days.push({ day, value: 1 })
      if (rng() < drop) break
    }
    out.push(days)
  }
  return out
}
