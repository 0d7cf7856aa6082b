// The value model of one model version: BG/NBD and Gamma-Gamma fitted on the calibration summaries
// (up to asOf), every customer's value at the default horizon and discount rate, RFM scores, and,
// with a holdout, the evaluation. Computed once in training and stored (registry/save.ts), so that
// serving reads numbers. Pure: the same purchase days, table and asOf give the same result.
import { fitBgNbd, bgnbdPAlive, type BgNbdParams } from './bgnbd.ts'
import { fitGammaGamma, ggExpectedValue, ggPopulationMean, type GammaGammaParams } from './gamma-gamma.ts'
import { customerLifetimeValue } from './clv.ts'
import { churnRisk, DEFAULT_CHURN_BANDS, type ChurnRisk } from './churn.ts'
import { rfmScores, type RfmGroup } from './rfm.ts'
import { evaluateHoldout, type HoldoutEvaluation } from './holdout.ts'
import { customerSummaries, type PurchaseDays } from './purchase-days.ts'
import type { NoValueReason } from './summary.ts'
import { DAY_MS } from '../pipeline/calendar.ts'

export const DEFAULT_HORIZON_DAYS = 365
export const DEFAULT_DISCOUNT_RATE = 0.1

interface FitInfo {
  logLikelihood: number
  customers: number
  converged: boolean
}

/** Stored per version under `value` (GET /models/{v}). */
export interface ValueModel {
  /** YYYY-MM-DD, the last day of the calibration period. */
  asOf: string
  timeUnit: 'day'
  bgnbd: BgNbdParams & FitInfo
  /** Null when no customer has a repeat purchase of positive value (nothing to fit). */
  gammaGamma: (GammaGammaParams & FitInfo) | null
  /** What each customer's stored value was computed with. */
  defaults: { horizonDays: number; discountRate: number }
  churnBands: { high: number; low: number }
  /**
   * Each RFM dimension's values at the quintile cuts (positions n/5 .. 4n/5 of the sorted
   * training customers): a customer the version has not seen is scored against them.
   */
  rfmCuts: { recencyDays: number[]; frequency: number[]; monetary: number[] }
}

/** One customer's stored value (registry/save.ts writes them to customer_values). */
export interface CustomerValue {
  customerId: string
  /** Null with the reason when the customer has no purchase day up to asOf. */
  reason: NoValueReason | null
  x: number
  tx: number
  T: number
  meanRepeatValue: number | null
  purchases: number
  /** Days from the last purchase day to asOf. */
  recencyDays: number
  pAlive: number | null
  expectedPurchases: number | null
  expectedOrderValue: number | null
  clv: number | null
  churnRisk: ChurnRisk | null
  rfm: { r: number; f: number; m: number; score: string; group: RfmGroup }
}

export interface RfmColumns {
  recencyDays: ArrayLike<number>
  frequency: ArrayLike<number>
  monetary: ArrayLike<number>
}

export interface ValueInput {
  purchaseDays: PurchaseDays
  /** The feature table's customers, in its row order: the customers of the version. */
  customerIds: readonly string[]
  /** The RFM columns of those customers (the original recipe's table). */
  rfm: RfmColumns
  /** Day number of asOf. */
  asOfDay: number
  /** Days after asOf evaluated against the data (0: no holdout). */
  holdoutDays: number
}

export interface ValueResult {
  model: ValueModel
  customers: CustomerValue[]
  evaluation: HoldoutEvaluation | null
}

const isoDay = (day: number) => new Date(day * DAY_MS).toISOString().slice(0, 10)

/** The sorted values at positions ceil(k n / 5), k = 1..4: where the quintile scores step up. */
export function quintileCuts(values: ArrayLike<number>): number[] {
  const sorted = Float64Array.from(values).sort()
  const n = sorted.length
  return n === 0 ? [] : [1, 2, 3, 4].map((k) => sorted[Math.min(n - 1, Math.ceil((k * n) / 5))]!)
}

/** The value per purchase a customer is expected to spend (Gamma-Gamma, or its own mean without a spend model). */
export function orderValueOf(gg: GammaGammaParams | null, x: number, meanRepeatValue: number | null, meanValue: number): number {
  return (gg ? ggExpectedValue(gg, x, meanRepeatValue) : null) ?? meanValue
}

export function fitValueModel(input: ValueInput): ValueResult {
  const rows = customerSummaries(input.purchaseDays, input.asOfDay, input.holdoutDays, input.customerIds)
  const fitted = rows.filter((r) => r.summary !== null)
  if (fitted.length === 0) throw new RangeError('value model: no customer has a purchase day up to asOf')
  const bg = fitBgNbd(fitted.map((r) => r.summary!))
  const spend = fitted.filter((r) => r.summary!.x > 0 && (r.summary!.meanRepeatValue ?? 0) > 0)
  const gg = spend.length > 0 ? fitGammaGamma(spend.map((r) => ({ x: r.summary!.x, meanValue: r.summary!.meanRepeatValue! }))) : null
  const bgParams = { r: bg.r, alpha: bg.alpha, a: bg.a, b: bg.b }
  const ggParams = gg && ggPopulationMean(gg) !== null ? { p: gg.p, q: gg.q, gamma: gg.gamma } : null

  const ids = input.customerIds
  const recency = Array.from(input.rfm.recencyDays)
  const frequency = Array.from(input.rfm.frequency)
  const monetary = Array.from(input.rfm.monetary)
  const scores = rfmScores(ids.map((id, i) => ({ id, recencyDays: recency[i]!, frequency: frequency[i]!, monetary: monetary[i]! })))

  const customers = rows.map((row, i): CustomerValue => {
    const { r, f, m, score, group } = scores[i]!
    const rfm = { r, f, m, score, group }
    const s = row.summary
    if (s === null) {
      return { customerId: row.customerId, reason: row.reason, x: 0, tx: 0, T: 0, meanRepeatValue: null, purchases: 0, recencyDays: recency[i]!, pAlive: null, expectedPurchases: null, expectedOrderValue: null, clv: null, churnRisk: null, rfm }
    }
    const pAlive = bgnbdPAlive(bgParams, s)
    const orderValue = orderValueOf(ggParams, s.x, s.meanRepeatValue, s.totalValue / s.purchases)
    const clv = customerLifetimeValue(bgParams, s, orderValue, { horizonDays: DEFAULT_HORIZON_DAYS, annualDiscountRate: DEFAULT_DISCOUNT_RATE })
    return {
      customerId: row.customerId, reason: null, x: s.x, tx: s.tx, T: s.T, meanRepeatValue: s.meanRepeatValue, purchases: s.purchases,
      recencyDays: s.T - s.tx, pAlive, expectedPurchases: clv.expectedPurchases, expectedOrderValue: orderValue, clv: clv.value, churnRisk: churnRisk(pAlive), rfm,
    }
  })
  const evaluation = input.holdoutDays > 0
    ? evaluateHoldout(fitted.map((r) => ({ summary: r.summary!, actualPurchases: r.holdout.purchases, actualValue: r.holdout.value })), bgParams, ggParams, input.holdoutDays)
    : null
  const info = (f: FitInfo) => ({ logLikelihood: f.logLikelihood, customers: f.customers, converged: f.converged })
  return {
    model: {
      asOf: isoDay(input.asOfDay),
      timeUnit: 'day',
      bgnbd: { ...bgParams, ...info(bg) },
      gammaGamma: gg && { p: gg.p, q: gg.q, gamma: gg.gamma, ...info(gg) },
      defaults: { horizonDays: DEFAULT_HORIZON_DAYS, discountRate: DEFAULT_DISCOUNT_RATE },
      churnBands: { ...DEFAULT_CHURN_BANDS },
      rfmCuts: { recencyDays: quintileCuts(recency.map((d) => -d)).map((d) => -d), frequency: quintileCuts(frequency), monetary: quintileCuts(monetary) },
    },
    customers,
    evaluation,
  }
}
