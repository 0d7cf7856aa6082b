// One customer-hash range of a merge of stored aggregates (training/aggregates.ts): the range's
// customers decoded from each dataset's bytes, the few that need an exact rebuild read from their
// transactions, merged into a MergedPart. The one implementation behind both the in-process loop
// (`mergeStored`) and the merge-range jobs (merge-jobs.ts), so both give the same parts.
import { customersToRebuild, decodeAggregate, mergePart, rebuildCustomers, type DayWindow, type HashRange, type MergedPart } from '../aggregates/index.ts'
import type { Database } from '../db/database.ts'
import { parseCopyRows } from '../datasets/read.ts'
import type { Transaction } from '../pipeline/types.ts'

const quote = (s: string) => `'${s.replace(/'/g, "''")}'`

/** The datasets' stored aggregates (bytes), in the order given; null when one has none. */
export async function loadAggregates(db: Database, datasetIds: readonly string[]): Promise<Uint8Array[] | null> {
  const rows = await db.query<{ dataset_id: string; bytes: Uint8Array }>('SELECT dataset_id::text AS dataset_id, bytes FROM dataset_aggregates WHERE dataset_id = ANY($1::uuid[])', [datasetIds])
  const byId = new Map(rows.map((r) => [r.dataset_id, r.bytes]))
  if (datasetIds.length === 0 || datasetIds.some((id) => !byId.has(id))) return null
  return datasetIds.map((id) => byId.get(id)!)
}

/** The merge of the customers in `range` of `stored` (the aggregates of `datasetIds`, same order). */
export async function mergeRange(db: Database, datasetIds: readonly string[], stored: readonly Uint8Array[], window: DayWindow, range: HashRange): Promise<MergedPart> {
  const aggs = stored.map((b) => decodeAggregate(b, { range }))
  const ids = customersToRebuild(aggs, { ...window, range })
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
  return mergePart(aggs, { ...window, range, rebuilt })
}
