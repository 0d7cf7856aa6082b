// Holdout evaluation: the models fitted on the calibration period (up to asOf) predict each
// customer's repeat purchase days and their value in (asOf, asOf + N]; compare with what happened.
//
// Predictions per customer (calibration summary x, tx, T in days):
//   model purchases    = E[X(T, T+N) | x, tx, T] (BG/NBD);
//   model value        = model purchases × expected value per purchase (Gamma-Gamma conditional
//                        mean; without a spend model, the customer's mean calibration purchase value);
//   baseline purchases = x / T × N, the customer's past repeat rate carried forward (0 when T = 0:
//                        a customer first seen on asOf has no rate yet);
//   baseline value     = baseline purchases × the customer's mean calibration purchase value
//                        (all its purchase days, the first included).
// Every purchase day in the holdout of a customer seen by asOf is a repeat purchase.
import { bgnbdExpectedPurchases, type BgNbdParams } from './bgnbd.ts'
import { ggExpectedValue, type GammaGammaParams } from './gamma-gamma.ts'
import type { CustomerSummary, PurchaseDay } from './summary.ts'

/** Purchase days and their value in (asOf, asOf + holdoutDays]. */
export function holdoutActuals(days: ReadonlyArray<PurchaseDay>, asOf: number, holdoutDays: number): { purchases: number; value: number } {
  const byDay = new Map<number, number>()
  for (const d of days) {
    if (d.day > asOf && d.day <= asOf + holdoutDays) byDay.set(d.day, (byDay.get(d.day) ?? 0) + d.value)
  }
  let value = 0
  for (const v of byDay.values()) value += v
  return { purchases: byDay.size, value }
}

export interface HoldoutCustomer {
  /** The calibration summary (summary.ts). */
  summary: Pick<CustomerSummary, 'x' | 'tx' | 'T' | 'meanRepeatValue' | 'purchases' | 'totalValue'>
  actualPurchases: number
  actualValue: number
}

export interface HoldoutRow {
  /** Calibration repeat purchases: "0" .. "6", "7+". */
  repeatCount: string
  customers: number
  meanActual: number
  meanPredicted: number
  meanBaseline: number
}

export interface HoldoutTotals {
  actual: number
  predicted: number
  baseline: number
}

export interface HoldoutEvaluation {
  holdoutDays: number
  customers: number
  purchases: HoldoutTotals
  value: HoldoutTotals
  /** Purchases by calibration repeat count. */
  byRepeatCount: HoldoutRow[]
  /** Mean absolute error per customer. */
  mae: { purchases: { model: number; baseline: number }; value: { model: number; baseline: number } }
  /**
   * Root mean squared error per customer. Reported beside the MAE because the model predicts
   * conditional means (which minimise squared error), while the MAE rewards medians: for the
   * many customers who mostly buy nothing in the holdout, a prediction of 0 wins on MAE.
   */
  rmse: { purchases: { model: number; baseline: number }; value: { model: number; baseline: number } }
}

export interface HoldoutPrediction {
  purchases: number
  value: number
  baselinePurchases: number
  baselineValue: number
}

/** The model's and the baseline's predictions for one customer over `holdoutDays`. */
export function predictHoldout(c: HoldoutCustomer['summary'], bgnbd: BgNbdParams, gg: GammaGammaParams | null, holdoutDays: number): HoldoutPrediction {
  const purchases = bgnbdExpectedPurchases(bgnbd, c, holdoutDays)
  const meanValue = c.purchases > 0 ? c.totalValue / c.purchases : 0
  const perPurchase = gg ? (ggExpectedValue(gg, c.x, c.meanRepeatValue) ?? meanValue) : meanValue
  const baselinePurchases = c.T > 0 ? (c.x / c.T) * holdoutDays : 0
  return { purchases, value: purchases * perPurchase, baselinePurchases, baselineValue: baselinePurchases * meanValue }
}

const ROWS = ['0', '1', '2', '3', '4', '5', '6', '7+']

export function evaluateHoldout(customers: ReadonlyArray<HoldoutCustomer>, bgnbd: BgNbdParams, gg: GammaGammaParams | null, holdoutDays: number): HoldoutEvaluation {
  if (!(holdoutDays > 0)) throw new RangeError(`holdoutDays = ${holdoutDays}: need > 0`)
  const purchases = { actual: 0, predicted: 0, baseline: 0 }
  const value = { actual: 0, predicted: 0, baseline: 0 }
  const rows = ROWS.map((repeatCount) => ({ repeatCount, customers: 0, sumActual: 0, sumPredicted: 0, sumBaseline: 0 }))
  let aePm = 0
  let aePb = 0
  let aeVm = 0
  let aeVb = 0
  const se = new Float64Array(4)
  for (const c of customers) {
    const pr = predictHoldout(c.summary, bgnbd, gg, holdoutDays)
    purchases.actual += c.actualPurchases
    purchases.predicted += pr.purchases
    purchases.baseline += pr.baselinePurchases
    value.actual += c.actualValue
    value.predicted += pr.value
    value.baseline += pr.baselineValue
    aePm += Math.abs(pr.purchases - c.actualPurchases)
    aePb += Math.abs(pr.baselinePurchases - c.actualPurchases)
    aeVm += Math.abs(pr.value - c.actualValue)
    aeVb += Math.abs(pr.baselineValue - c.actualValue)
    se[0]! += (pr.purchases - c.actualPurchases) ** 2
    se[1]! += (pr.baselinePurchases - c.actualPurchases) ** 2
    se[2]! += (pr.value - c.actualValue) ** 2
    se[3]! += (pr.baselineValue - c.actualValue) ** 2
    const row = rows[Math.min(c.summary.x, 7)]!
    row.customers++
    row.sumActual += c.actualPurchases
    row.sumPredicted += pr.purchases
    row.sumBaseline += pr.baselinePurchases
  }
  const n = customers.length
  const per = (s: number, k: number): number => (k > 0 ? s / k : 0)
  return {
    holdoutDays,
    customers: n,
    purchases,
    value,
    byRepeatCount: rows.map((r) => ({
      repeatCount: r.repeatCount,
      customers: r.customers,
      meanActual: per(r.sumActual, r.customers),
      meanPredicted: per(r.sumPredicted, r.customers),
      meanBaseline: per(r.sumBaseline, r.customers),
    })),
    mae: { purchases: { model: per(aePm, n), baseline: per(aePb, n) }, value: { model: per(aeVm, n), baseline: per(aeVb, n) } },
    rmse: {
      purchases: { model: Math.sqrt(per(se[0]!, n)), baseline: Math.sqrt(per(se[1]!, n)) },
      value: { model: Math.sqrt(per(se[2]!, n)), baseline: Math.sqrt(per(se[3]!, n)) },
    },
  }
}
