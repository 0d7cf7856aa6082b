// Customer lifetime value over a finite horizon, discounted.
//
// Method (the one `lifetimes` uses for its customer_lifetime_value, with the step and the rate
// made explicit): split the horizon H into steps of `stepDays` (the last step may be shorter, so
// the horizon is met exactly), t_i = min(i·step, H). The purchases expected in step i are
// E[X(T, T+t_i)] − E[X(T, T+t_{i−1})] (BG/NBD conditional expectation); each step's purchases are
// valued at the expected value per purchase (Gamma-Gamma conditional mean) and discounted to asOf
// from the end of the step at the annual effective rate d: factor (1 + d)^(−t_i / 365), i.e. the
// daily rate (1 + d)^(1/365) − 1 compounded. Discounting at the end of each step is the
// conservative choice (a purchase inside the step is never discounted less than it would be).
// The BG/NBD must have been fitted with the day as time unit.
import { bgnbdExpectedPurchases, type BgNbdParams, type RfSummary } from './bgnbd.ts'

export interface ClvOptions {
  /** Horizon in days (default 365). */
  horizonDays?: number
  /** Annual effective discount rate (default 0.1 = 10 % a year). */
  annualDiscountRate?: number
  /** Step length in days (default 30). */
  stepDays?: number
}

export interface ClvResult {
  /** Discounted value over the horizon. */
  value: number
  /** Undiscounted expected purchases over the horizon. */
  expectedPurchases: number
}

export function customerLifetimeValue(p: BgNbdParams, c: RfSummary, expectedValuePerPurchase: number, opts: ClvOptions = {}): ClvResult {
  const H = opts.horizonDays ?? 365
  const d = opts.annualDiscountRate ?? 0.1
  const step = opts.stepDays ?? 30
  if (!(H >= 0 && Number.isFinite(H))) throw new RangeError(`horizonDays = ${H}: need a finite value ≥ 0`)
  if (!(d > -1 && Number.isFinite(d))) throw new RangeError(`annualDiscountRate = ${d}: need a value > −1`)
  if (!(step > 0)) throw new RangeError(`stepDays = ${step}: need a value > 0`)
  let value = 0
  let prev = 0
  let tPrev = 0
  while (tPrev < H) {
    const t = Math.min(tPrev + step, H)
    const e = bgnbdExpectedPurchases(p, c, t)
    value += ((e - prev) * expectedValuePerPurchase) / Math.pow(1 + d, t / 365)
    prev = e
    tPrev = t
  }
  return { value, expectedPurchases: prev }
}
