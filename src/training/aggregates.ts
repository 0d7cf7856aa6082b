// Training's features from stored aggregates (issue 14 point 3): the datasets' dataset_aggregates
// merged over an optional day window, reading transactions only for the customers the merge must
// rebuild exactly (an invoice shared across datasets, or a rule-2 key split by the window).
// Not yet the default path of train.ts: its features equal buildFeatures' to 1e-9, not bit for bit.
import { customersToRebuild, decodeAggregate, finishMerge, mergePart, rebuildCustomers } from '../aggregates/index.ts'
import type { Database } from '../db/database.ts'
import { parseCopyRows } from '../datasets/read.ts'
import type { BuildResult } from '../pipeline/features.ts'
import type { Transaction } from '../pipeline/types.ts'

export interface AggregateWindow {
  /** Day numbers (pipeline/calendar.ts): days kept are from <= day <= asOf. */
  asOf?: number
  window?: { from: number }
}

const quote = (s: string) => `'${s.replace(/'/g, "''")}'`

/** The features of `datasetIds` (in order) from their aggregates, or null when one has none stored. */
export async function loadMergedAggregates(db: Database, datasetIds: readonly string[], options: AggregateWindow = {}): Promise<BuildResult | null> {
  const rows = await db.query<{ dataset_id: string; bytes: Uint8Array }>('SELECT dataset_id::text AS dataset_id, bytes FROM dataset_aggregates WHERE dataset_id = ANY($1::uuid[])', [datasetIds])
  const byId = new Map(rows.map((r) => [r.dataset_id, r.bytes]))
  if (datasetIds.some((id) => !byId.has(id))) return null
  const aggs = datasetIds.map((id) => decodeAggregate(byId.get(id)!))
  const window = { asOf: options.asOf, from: options.window?.from }
  const ids = customersToRebuild(aggs, window)
  let rebuilt = new Map()
  if (ids.length > 0) {
    const order = `ARRAY[${datasetIds.map((id) => `${quote(id)}::uuid`).join(',')}]`
    const select = `SELECT invoice_no, stock_code, description, quantity, extract(epoch FROM invoice_date)::bigint, unit_price, customer_id, country
      FROM transactions WHERE dataset_id = ANY(${order}) AND customer_id IN (${ids.map(quote).join(',')})
      ORDER BY customer_id COLLATE "C", array_position(${order}, dataset_id), sheet, line`
    const all: Transaction[] = []
    for await (const batch of parseCopyRows(db.copyOut(select))) for (const r of batch) all.push(r)
    rebuilt = rebuildCustomers(ids, all, window)
  }
  return finishMerge([mergePart(aggs, { ...window, rebuilt })], { asOf: options.asOf })
}
