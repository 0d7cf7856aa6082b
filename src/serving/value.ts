// A customer's value and RFM scores in a prediction: read from the version's stored values at the
// default horizon and discount rate (computed once in training), or computed from the stored
// summary and fitted parameters for another horizon or rate, or for raw transactions of a
// customer the version has not seen (cleaned as in training, as of the version's asOf).
import { HttpProblem } from '../errors.ts'
import { dayOf } from '../pipeline/calendar.ts'
import { isCancellation, StreamingCleaner } from '../pipeline/clean.ts'
import type { Transaction } from '../pipeline/types.ts'
import { CHURN_CODES, type ServedValue } from '../registry/served-value.ts'
import { bgnbdPAlive } from '../value/bgnbd.ts'
import { churnRisk, type ChurnRisk } from '../value/churn.ts'
import { customerLifetimeValue } from '../value/clv.ts'
import { orderValueOf, type ValueModel } from '../value/model.ts'
import { rfmGroup, type RfmGroup } from '../value/rfm.ts'
import { purchaseDaysFromLines, summarizeCustomer, type SummaryLine } from '../value/summary.ts'

export interface ValueOptions {
  horizonDays: number
  discountRate: number
}

export interface ValueAnswer {
  purchases: number
  recencyDays: number
  ageDays: number
  pAlive: number
  expectedPurchases: { days: number; value: number }
  expectedOrderValue: number
  clv: { days: number; discountRate: number; value: number }
  churnRisk: ChurnRisk
}

export interface RfmAnswer {
  r: number
  f: number
  m: number
  score: string
  group: RfmGroup
}

/** The query's horizon and rate, checked; defaults from the version's value model. */
export function valueOptions(model: ValueModel | null | undefined, q: { horizonDays?: number; discountRate?: number }): ValueOptions {
  const horizonDays = q.horizonDays ?? model?.defaults.horizonDays ?? 365
  const discountRate = q.discountRate ?? model?.defaults.discountRate ?? 0.1
  if (!(Number.isInteger(horizonDays) && horizonDays >= 1 && horizonDays <= 3650)) throw new HttpProblem(400, 'Bad Request', 'horizonDays must be an integer in 1..3650', [{ path: 'querystring.horizonDays', message: 'out of range' }])
  if (!(discountRate >= 0 && discountRate <= 10)) throw new HttpProblem(400, 'Bad Request', 'discountRate must be in 0..10 (an annual rate: 0.1 = 10 %)', [{ path: 'querystring.discountRate', message: 'out of range' }])
  return { horizonDays, discountRate }
}

export function isDefault(model: ValueModel, o: ValueOptions): boolean {
  return o.horizonDays === model.defaults.horizonDays && o.discountRate === model.defaults.discountRate
}

interface Summary {
  x: number
  tx: number
  T: number
  purchases: number
  orderValue: number
}

/** The value of a summary under a version's fitted models. */
export function valueOfSummary(model: ValueModel, s: Summary, o: ValueOptions): ValueAnswer {
  const bg = model.bgnbd
  const pAlive = bgnbdPAlive(bg, s)
  const clv = customerLifetimeValue(bg, s, s.orderValue, { horizonDays: o.horizonDays, annualDiscountRate: o.discountRate })
  return {
    purchases: s.purchases, recencyDays: s.T - s.tx, ageDays: s.T, pAlive,
    expectedPurchases: { days: o.horizonDays, value: clv.expectedPurchases }, expectedOrderValue: s.orderValue,
    clv: { days: o.horizonDays, discountRate: o.discountRate, value: clv.value }, churnRisk: churnRisk(pAlive, model.churnBands),
  }
}

/** Served row i's value (null without a purchase day up to asOf). */
export function valueOfRow(v: ServedValue, i: number, o: ValueOptions): ValueAnswer | null {
  if (v.has[i] !== 1) return null
  const s = { x: v.x[i]!, tx: v.tx[i]!, T: v.T[i]!, purchases: v.purchases[i]!, orderValue: v.expectedOrderValue[i]! }
  if (!isDefault(v.model, o)) return valueOfSummary(v.model, s, o)
  return {
    purchases: s.purchases, recencyDays: v.recencyDays[i]!, ageDays: s.T, pAlive: v.pAlive[i]!,
    expectedPurchases: { days: o.horizonDays, value: v.expectedPurchases[i]! }, expectedOrderValue: s.orderValue,
    clv: { days: o.horizonDays, discountRate: o.discountRate, value: v.clv[i]! }, churnRisk: CHURN_CODES[v.churn[i]!] as ChurnRisk,
  }
}

export function rfmOfRow(v: ServedValue, i: number): RfmAnswer | null {
  const group = v.rfmGroup[i]
  if (group === undefined) return null
  const [r, f, m] = [v.rfm[i * 3]!, v.rfm[i * 3 + 1]!, v.rfm[i * 3 + 2]!]
  return { r, f, m, score: `${r}${f}${m}`, group }
}

/** 1 + the number of quintile cuts at or below `value` (higher is better). */
const scoreAgainst = (cuts: readonly number[], value: number) => 1 + cuts.filter((c) => value >= c).length

/**
 * Value and RFM of a customer the version has not seen, from raw transactions: cleaned as in
 * training, rows after asOf ignored, RFM scored against the version's quintile cuts.
 */
export function valueOfTransactions(model: ValueModel, rows: readonly Transaction[], o: ValueOptions): { value: ValueAnswer | null; rfm: RfmAnswer | null } {
  const asOfDay = dayOf(Date.parse(`${model.asOf}T00:00:00Z`))
  const cleaner = new StreamingCleaner()
  const lines: SummaryLine[] = []
  const invoices = new Set<string>()
  let spend = 0
  let lastDay = Number.NEGATIVE_INFINITY
  for (const tx of rows) {
    const c = cleaner.push(tx)
    if (c === null) continue
    const day = dayOf(c.invoiceDate)
    if (day > asOfDay) continue
    lines.push({ day, quantity: c.quantity, price: c.unitPrice, cancelled: isCancellation(c.invoiceNo) })
    invoices.add(c.invoiceNo)
    spend += c.quantity * c.unitPrice
    lastDay = Math.max(lastDay, day)
  }
  if (lines.length === 0) return { value: null, rfm: null }
  const recencyDays = asOfDay - lastDay
  const cuts = model.rfmCuts
  // Recency cuts are days (fewer is better): score the negated values.
  const r = scoreAgainst(cuts.recencyDays.map((d) => -d), -recencyDays)
  const f = scoreAgainst(cuts.frequency, invoices.size)
  const m = scoreAgainst(cuts.monetary, spend)
  const rfm = { r, f, m, score: `${r}${f}${m}`, group: rfmGroup(r, Math.floor((f + m) / 2 + 0.5)) }
  const s = summarizeCustomer(purchaseDaysFromLines(lines), asOfDay)
  if (!s.ok) return { value: null, rfm }
  const gg = model.gammaGamma
  const orderValue = orderValueOf(gg && { p: gg.p, q: gg.q, gamma: gg.gamma }, s.summary.x, s.summary.meanRepeatValue, s.summary.totalValue / s.summary.purchases)
  return { value: valueOfSummary(model, { ...s.summary, orderValue }, o), rfm }
}
