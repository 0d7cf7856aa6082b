// Value over groups of customers for marketing: each segment's value aggregates (profiles), and
// campaign lists of customers sorted by CLV or P(alive) (GET /customers). Both read the served
// model's value arrays; a segment's aggregates are computed once per served model.
import type { ServedModel } from '../registry/served.ts'
import { CHURN_CODES } from '../registry/served-value.ts'
import { RFM_GROUPS } from '../value/rfm.ts'
import { csvRow } from '../codec/csv.ts'

export interface SegmentValue {
  /** Customers of the segment with a value (a purchase day up to asOf). */
  customers: number
  totalClv: number
  medianClv: number | null
  meanPAlive: number | null
  /** Share of the valued customers with churn risk "high". */
  shareAtRisk: number | null
  /** Share of the segment's customers in each RFM group. */
  rfmGroups: Record<string, number>
  /** Deciles (0, 10, ..., 100 %) of CLV and of P(alive), for the dashboard's distributions. */
  clvDeciles: number[]
  pAliveDeciles: number[]
}

const cache = new WeakMap<ServedModel, (SegmentValue | null)[]>()

function deciles(sorted: Float64Array): number[] {
  if (sorted.length === 0) return []
  return Array.from({ length: 11 }, (_, k) => sorted[Math.min(sorted.length - 1, Math.round((k / 10) * (sorted.length - 1)))]!)
}

/** Segment `id`'s value aggregates; null for a version without a value model. */
export function segmentValue(m: ServedModel, id: number): SegmentValue | null {
  const v = m.value
  if (!v) return null
  let all = cache.get(m)
  if (!all) cache.set(m, (all = []))
  if (all[id] !== undefined) return all[id]
  const members = m.members[id] ?? new Int32Array(0)
  const clv: number[] = []
  const pAlive: number[] = []
  let atRisk = 0
  const groups: Record<string, number> = Object.fromEntries(RFM_GROUPS.map((g) => [g, 0]))
  for (const i of members) {
    const g = v.rfmGroup[i]
    if (g !== undefined) groups[g]!++
    if (v.has[i] !== 1) continue
    clv.push(v.clv[i]!)
    pAlive.push(v.pAlive[i]!)
    if (CHURN_CODES[v.churn[i]!] === 'high') atRisk++
  }
  const c = Float64Array.from(clv).sort()
  const p = Float64Array.from(pAlive).sort()
  const n = c.length
  for (const g of Object.keys(groups)) groups[g] = members.length > 0 ? groups[g]! / members.length : 0
  const out: SegmentValue = {
    customers: n,
    totalClv: clv.reduce((s, x) => s + x, 0),
    medianClv: n === 0 ? null : n % 2 === 1 ? c[(n - 1) / 2]! : (c[n / 2 - 1]! + c[n / 2]!) / 2,
    meanPAlive: n === 0 ? null : pAlive.reduce((s, x) => s + x, 0) / n,
    shareAtRisk: n === 0 ? null : atRisk / n,
    rfmGroups: groups,
    clvDeciles: deciles(c),
    pAliveDeciles: deciles(p),
  }
  all[id] = out
  return out
}

export interface CustomerListQuery {
  sort?: 'clv' | 'pAlive'
  /** Ascending instead of descending. */
  order?: 'asc' | 'desc'
  churnRisk?: 'low' | 'medium' | 'high'
  segment?: number
  rfmGroup?: string
  limit?: number
}

export interface CustomerListItem {
  customerId: string
  segment: number
  pAlive: number
  expectedPurchases: number
  expectedOrderValue: number
  clv: number
  churnRisk: string
  rfmScore: string
  rfmGroup: string
}

/** Customers with a value, filtered and sorted (ties by customer id), at most `limit`. */
export function listCustomers(m: ServedModel, q: CustomerListQuery): CustomerListItem[] {
  const v = m.value
  if (!v) return []
  const rows: number[] = []
  for (let i = 0; i < m.customerIds.length; i++) {
    if (v.has[i] !== 1) continue
    if (q.segment !== undefined && m.segment[i] !== q.segment) continue
    if (q.churnRisk !== undefined && CHURN_CODES[v.churn[i]!] !== q.churnRisk) continue
    if (q.rfmGroup !== undefined && v.rfmGroup[i] !== q.rfmGroup) continue
    rows.push(i)
  }
  const key = q.sort === 'pAlive' ? v.pAlive : v.clv
  const sign = q.order === 'asc' ? 1 : -1
  // Rows are in customer id order, so a stable sort breaks ties by id.
  rows.sort((a, b) => sign * (key[a]! - key[b]!))
  return rows.slice(0, q.limit ?? 100).map((i) => ({
    customerId: m.customerIds[i]!,
    segment: m.segment[i]!,
    pAlive: v.pAlive[i]!,
    expectedPurchases: v.expectedPurchases[i]!,
    expectedOrderValue: v.expectedOrderValue[i]!,
    clv: v.clv[i]!,
    churnRisk: CHURN_CODES[v.churn[i]!]!,
    rfmScore: `${v.rfm[i * 3]}${v.rfm[i * 3 + 1]}${v.rfm[i * 3 + 2]}`,
    rfmGroup: v.rfmGroup[i]!,
  }))
}

export const CUSTOMER_CSV_COLUMNS = ['customerId', 'segment', 'pAlive', 'expectedPurchases', 'expectedOrderValue', 'clv', 'churnRisk', 'rfmScore', 'rfmGroup'] as const

export function customersCsv(items: readonly CustomerListItem[]): string {
  return csvRow([...CUSTOMER_CSV_COLUMNS]) + items.map((c) => csvRow(CUSTOMER_CSV_COLUMNS.map((k) => c[k]))).join('')
}
