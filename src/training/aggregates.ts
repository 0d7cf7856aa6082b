// Training's and drift's features from stored aggregates (issue 14 point 1): the datasets'
// dataset_aggregates, built by the upload's own pass, decoded once and merged over a day window,
// reading transactions only for the customers the merge must rebuild exactly (an invoice shared
// across datasets, a rule-2 key split by the window, or a partial the upload flagged `rebuild`:
// src/aggregates/dedupe.ts). One dataset over all its days gives
// buildFeatures' build bit for bit (exact.ts); any other merge equals it to ~1e-14 relative.
import { customersToRebuild, decodeAggregate, finishMerge, mergePart, rebuildCustomers, splitRange, type DayWindow, type HashRange, type MergedPart } from '../aggregates/index.ts'
import type { Database } from '../db/database.ts'
import { parseCopyRows } from '../datasets/read.ts'
import type { BuildResult } from '../pipeline/features.ts'
import type { Transaction } from '../pipeline/types.ts'

export interface AggregateWindow {
  /** Day numbers (pipeline/calendar.ts): days kept are from <= day <= asOf. */
  asOf?: number
  window?: { from: number }
  /** Stored bytes decoded at a time (RANGE_BYTES; tests make it smaller). */
  rangeBytes?: number
}

/**
 * Stored bytes decoded at a time: a decoded customer-day is JS objects, ~20x its ~140 stored
 * bytes, so the x10 file's 27 MB decoded at once took a training to 714-730 MiB. Bigger
 * aggregates are merged by customer-hash range (the parts' union is the whole merge).
 */
export const RANGE_BYTES = 4 * 2 ** 20

const quote = (s: string) => `'${s.replace(/'/g, "''")}'`

/** The datasets' stored aggregates (bytes), in the order given; null when one has none. */
export async function loadAggregates(db: Database, datasetIds: readonly string[]): Promise<Uint8Array[] | null> {
  const rows = await db.query<{ dataset_id: string; bytes: Uint8Array }>('SELECT dataset_id::text AS dataset_id, bytes FROM dataset_aggregates WHERE dataset_id = ANY($1::uuid[])', [datasetIds])
  const byId = new Map(rows.map((r) => [r.dataset_id, r.bytes]))
  if (datasetIds.length === 0 || datasetIds.some((id) => !byId.has(id))) return null
  return datasetIds.map((id) => byId.get(id)!)
}

/**
 * The merge of `stored` (the aggregates of `datasetIds`, same order) over the window, one
 * customer-hash range at a time: the rows of the customers to rebuild are read in (dataset
 * order, file order), nothing else.
 */
export async function mergeStored(db: Database, datasetIds: readonly string[], stored: readonly Uint8Array[], window: DayWindow = {}, rangeBytes = RANGE_BYTES): Promise<BuildResult> {
  const bytes = stored.reduce((n, b) => n + b.length, 0)
  const parts: MergedPart[] = []
  for (const range of splitRange(Math.max(1, Math.ceil(bytes / rangeBytes)))) parts.push(await mergeRange(db, datasetIds, stored, window, range))
  return finishMerge(parts, { asOf: window.asOf })
}

async function mergeRange(db: Database, datasetIds: readonly string[], stored: readonly Uint8Array[], window: DayWindow, range: HashRange): Promise<MergedPart> {
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

/** The features of `datasetIds` (in order) from their aggregates, or null when one has none stored. */
export async function loadMergedAggregates(db: Database, datasetIds: readonly string[], options: AggregateWindow = {}): Promise<BuildResult | null> {
  const aggs = await loadAggregates(db, datasetIds)
  return aggs && mergeStored(db, datasetIds, aggs, { asOf: options.asOf, from: options.window?.from }, options.rangeBytes)
}

/** What a training reads: every day's features, and those of a window (asOf, first day). */
export interface StoredFeatures {
  full: BuildResult
  /**
   * As buildFeatures on the rows from `from` with `asOf` gives them: the tables and baskets of
   * the days in [from, asOf] (reference date asOf), the cleaning counts and purchase days of
   * every day from `from` (the value model's holdout lies after asOf).
   */
  windowed(asOf: number, from?: number): Promise<BuildResult>
}

/**
 * The datasets' features from their aggregates; null when one has none (a file whose dates were
 * re-read day first is stored without them: the caller builds from its transactions).
 */
export async function storedFeatures(db: Database, datasetIds: readonly string[]): Promise<StoredFeatures | null> {
  const aggs = await loadAggregates(db, datasetIds)
  if (aggs === null) return null
  const full = await mergeStored(db, datasetIds, aggs)
  return {
    full,
    async windowed(asOf, from) {
      const tables = await mergeStored(db, datasetIds, aggs, { asOf, from })
      const wide = from === undefined ? full : await mergeStored(db, datasetIds, aggs, { from })
      return { ...tables, cleaning: wide.cleaning, purchaseDays: wide.purchaseDays }
    },
  }
}
