// Oracles and comparisons for the aggregate tests: today's path (rows grouped by customer, then
// dataset, then file line, through FeaturePass) on the concatenated, filtered rows.
import { DAY_MS, dayOf } from '../../src/pipeline/calendar.ts'
import { FeaturePass, type BuildResult } from '../../src/pipeline/features.ts'
import { RECIPES } from '../../src/pipeline/recipes/index.ts'
import type { Transaction } from '../../src/pipeline/types.ts'

/** Rows of the datasets concatenated in order, then stably sorted by customer (database order). */
export function databaseOrder<T extends Transaction>(datasets: readonly (readonly T[])[]): T[] {
  const all = datasets.flat()
  const byCustomer = (x: string | null, y: string | null): number => (x === y ? 0 : x === null ? 1 : y === null ? -1 : x < y ? -1 : 1)
  return all.slice().sort((a, b) => byCustomer(a.customerId, b.customerId))
}

/**
 * buildFeatures on the concatenation of `datasets` restricted to days in [from, asOf], with the
 * reference date asOf when given (else the latest cleaned day, as buildFeatures).
 */
export function oracle(datasets: readonly (readonly Transaction[])[], window: { asOf?: number; from?: number } = {}): BuildResult {
  const rows = databaseOrder(datasets).filter((r) => {
    const d = dayOf(r.invoiceDate)
    return !(window.from !== undefined && d < window.from) && !(window.asOf !== undefined && d > window.asOf)
  })
  const pass = new FeaturePass([RECIPES.original, RECIPES.default])
  for (const r of rows) pass.push(r)
  const { tables, cleaning, baskets } = pass.finish(window.asOf === undefined ? undefined : window.asOf * DAY_MS)
  return { original: tables[0]!, default: tables[1]!, cleaning, baskets }
}

/** One customer's rows of the datasets in (dataset, file) order: the rebuild's fetchRows, from memory. */
export function rowsByCustomer(datasets: readonly (readonly Transaction[])[]): (id: string) => Transaction[] {
  const m = new Map<string, Transaction[]>()
  for (const ds of datasets) {
    for (const r of ds) {
      if (r.customerId === null || r.customerId === '') continue
      const list = m.get(r.customerId)
      if (list === undefined) m.set(r.customerId, [r])
      else list.push(r)
    }
  }
  return (id) => m.get(id) ?? []
}

/** |a - b| <= 1e-9 relative (absolute near zero); NaN equals NaN. */
export const close = (a: number, b: number): boolean =>
  (Number.isNaN(a) && Number.isNaN(b)) || Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b))

/** Differences between two BuildResults (empty when equal: features to 1e-9, the rest exactly). */
export function differences(got: BuildResult, want: BuildResult, options: { rawCounts?: boolean; limit?: number } = {}): string[] {
  const limit = options.limit ?? 10
  const out: string[] = []
  const add = (s: string) => {
    if (out.length < limit) out.push(s)
  }
  for (const r of ['original', 'default'] as const) {
    const g = got[r]
    const w = want[r]
    if (JSON.stringify(g.customerIds) !== JSON.stringify(w.customerIds)) add(`${r}: customers differ (${g.customerIds.length} vs ${w.customerIds.length})`)
    else {
      const width = w.features.length
      for (let i = 0; i < w.values.length; i++) {
        if (!close(g.values[i]!, w.values[i]!)) add(`${r} ${w.customerIds[Math.floor(i / width)]} ${w.features[i % width]}: ${g.values[i]} != ${w.values[i]}`)
      }
    }
    if (!close(g.referenceDate, w.referenceDate)) add(`${r}: reference date ${g.referenceDate} != ${w.referenceDate}`)
  }
  // rawCounts: false compares rows and customers after each rule from rule 2 on (datasets that overlap have more raw rows).
  const counts = (b: BuildResult) => (options.rawCounts === false ? b.cleaning.steps.slice(1).map((s) => [s.rowsAfter, s.customersAfter]) : b.cleaning)
  if (JSON.stringify(counts(got)) !== JSON.stringify(counts(want))) add(`cleaning: ${JSON.stringify(got.cleaning.steps.map((s) => [s.rowsAfter, s.customersAfter]))} != ${JSON.stringify(want.cleaning.steps.map((s) => [s.rowsAfter, s.customersAfter]))} (rows in ${got.cleaning.rowsIn} vs ${want.cleaning.rowsIn})`)
  const gb = got.baskets
  const wb = want.baskets
  for (const k of ['customerIds', 'stockCodes', 'descriptions', 'offsets', 'items'] as const) {
    if (JSON.stringify(Array.from(gb[k] as ArrayLike<unknown>)) !== JSON.stringify(Array.from(wb[k] as ArrayLike<unknown>))) add(`baskets.${k} differ`)
  }
  return out
}
