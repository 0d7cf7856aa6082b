// A version's customer values as COPY CSV rows (table customer_values), and back.
import type { CustomerValue } from '../value/model.ts'
import { copyCsvText } from '../codec/csv.ts'

export const CUSTOMER_VALUE_COLUMNS = [
  'version', 'customer_id', 'reason', 'x', 'tx', 't', 'mean_repeat_value', 'purchases', 'recency_days', 'p_alive',
  'expected_purchases', 'expected_order_value', 'clv', 'churn_risk', 'rfm_r', 'rfm_f', 'rfm_m', 'rfm_group',
] as const

const q = copyCsvText
// An empty unquoted CSV field is NULL in COPY.
const num = (v: number | null) => (v === null || !Number.isFinite(v) ? '' : String(v))
const str = copyCsvText

export function* customerValueCsv(version: number, customers: readonly CustomerValue[], chunkRows = 2000): Generator<string> {
  let out = ''
  for (let i = 0; i < customers.length; i++) {
    const c = customers[i]!
    out += [version, q(c.customerId), str(c.reason), c.x, c.tx, c.T, num(c.meanRepeatValue), c.purchases, c.recencyDays, num(c.pAlive),
      num(c.expectedPurchases), num(c.expectedOrderValue), num(c.clv), str(c.churnRisk), c.rfm.r, c.rfm.f, c.rfm.m, q(c.rfm.group)].join(',') + '\n'
    if ((i + 1) % chunkRows === 0) {
      yield out
      out = ''
    }
  }
  if (out) yield out
}

/** A customer_values row as the database returns it (snake_case, doubles as numbers). */
export interface CustomerValueRow {
  customer_id: string
  reason: string | null
  x: number
  tx: number
  t: number
  mean_repeat_value: number | null
  purchases: number
  recency_days: number
  p_alive: number | null
  expected_purchases: number | null
  expected_order_value: number | null
  clv: number | null
  churn_risk: string | null
  rfm_r: number
  rfm_f: number
  rfm_m: number
  rfm_group: string
  segment?: number
}

export function toCustomerValue(r: CustomerValueRow): CustomerValue {
  return {
    customerId: r.customer_id, reason: r.reason as CustomerValue['reason'], x: r.x, tx: r.tx, T: r.t, meanRepeatValue: r.mean_repeat_value,
    purchases: r.purchases, recencyDays: r.recency_days, pAlive: r.p_alive, expectedPurchases: r.expected_purchases,
    expectedOrderValue: r.expected_order_value, clv: r.clv, churnRisk: r.churn_risk as CustomerValue['churnRisk'],
    rfm: { r: r.rfm_r, f: r.rfm_f, m: r.rfm_m, score: `${r.rfm_r}${r.rfm_f}${r.rfm_m}`, group: r.rfm_group as CustomerValue['rfm']['group'] },
  }
}
