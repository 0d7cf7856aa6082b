// A version's customer values as the API serves them: typed arrays in the served model's row
// order (registry/served.ts), loaded once with the model, so a prediction reads numbers.
import type { Database } from '../db/database.ts'
import type { ValueModel } from '../value/model.ts'
import type { RfmGroup } from '../value/rfm.ts'

export const CHURN_CODES = [null, 'low', 'medium', 'high'] as const

export interface ServedValue {
  model: ValueModel
  /** 1 where the customer has a value summary (a purchase day up to asOf). */
  has: Uint8Array
  x: Int32Array
  tx: Float64Array
  T: Float64Array
  purchases: Int32Array
  recencyDays: Float64Array
  pAlive: Float64Array
  expectedPurchases: Float64Array
  expectedOrderValue: Float64Array
  clv: Float64Array
  /** Index into CHURN_CODES. */
  churn: Uint8Array
  rfm: Int8Array
  rfmGroup: (RfmGroup | undefined)[]
}

/** The value arrays of `version`, rows placed by `index` (customer id -> served row); null for a version without a value model. */
export async function loadServedValue(db: Database, version: number, index: Map<string, number>): Promise<ServedValue | null> {
  const head = await db.query<{ value: ValueModel | null }>('SELECT value FROM model_versions WHERE version = $1', [version])
  const model = head[0]?.value
  if (!model) return null
  const n = index.size
  const v: ServedValue = {
    model, has: new Uint8Array(n), x: new Int32Array(n), tx: new Float64Array(n), T: new Float64Array(n), purchases: new Int32Array(n),
    recencyDays: new Float64Array(n), pAlive: new Float64Array(n).fill(NaN), expectedPurchases: new Float64Array(n).fill(NaN),
    expectedOrderValue: new Float64Array(n).fill(NaN), clv: new Float64Array(n).fill(NaN), churn: new Uint8Array(n), rfm: new Int8Array(n * 3), rfmGroup: new Array(n),
  }
  const rows = await db.query<{ c: string; h: boolean; x: number; tx: number; t: number; p: number; rd: number; pa: number | null; ep: number | null; eo: number | null; clv: number | null; cr: string | null; r: number; f: number; m: number; g: RfmGroup }>(
    `SELECT customer_id AS c, reason IS NULL AS h, x, tx, t, purchases AS p, recency_days AS rd, p_alive AS pa, expected_purchases AS ep,
       expected_order_value AS eo, clv, churn_risk AS cr, rfm_r AS r, rfm_f AS f, rfm_m AS m, rfm_group AS g FROM customer_values WHERE version = $1`,
    [version],
  )
  for (const r of rows) {
    const i = index.get(r.c)
    if (i === undefined) continue
    v.has[i] = r.h ? 1 : 0
    v.x[i] = r.x
    v.tx[i] = r.tx
    v.T[i] = r.t
    v.purchases[i] = r.p
    v.recencyDays[i] = r.rd
    if (r.pa !== null) v.pAlive[i] = r.pa
    if (r.ep !== null) v.expectedPurchases[i] = r.ep
    if (r.eo !== null) v.expectedOrderValue[i] = r.eo
    if (r.clv !== null) v.clv[i] = r.clv
    v.churn[i] = Math.max(0, CHURN_CODES.indexOf(r.cr as (typeof CHURN_CODES)[number]))
    v.rfm[i * 3] = r.r
    v.rfm[i * 3 + 1] = r.f
    v.rfm[i * 3 + 2] = r.m
    v.rfmGroup[i] = r.g
  }
  return v
}
