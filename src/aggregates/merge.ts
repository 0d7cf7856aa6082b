// Merging aggregates: the partials of any list of datasets (their concatenation in that order),
// restricted to days in [from, asOf], into the recipes' CustomerStats and a BuildResult equal to
// buildFeatures on the concatenated, filtered rows (docs/decisions.md).
//
// Two steps, so that the work fans out by customer-hash range: `mergePart` merges the customers
// of one range (anything but the reference date, which is global; gathered by merge-part.ts),
// `finishMerge` (finish-merge.ts) concatenates disjoint parts, resolves the reference date and
// numbers the products. `mergeAggregates` does both for one process.
//
// Exactness across datasets: rule 2 removes a row whose key (InvoiceNo, StockCode, Description,
// CustomerID, Quantity) occurred earlier in the concatenation. A key's rows share the customer
// and the invoice, so a customer whose invoice sets (over rows that passed rule 1) are disjoint
// across the chosen datasets has no duplicate across them and its partials simply add. A customer
// with a shared invoice, or with a rule-2 key spread over days that the window separates, or whose
// partial is flagged `rebuild` (an invoice that reappeared in its file with a possible duplicate
// that the build's Bloom filter could not decide, dedupe.ts), is rebuilt from its raw rows (the
// caller's `fetchRows`), filtered to the window: exact (the rebuild keeps every rule-2 key), and
// rare outside overlapping uploads.
import { DAY_MS } from '../pipeline/calendar.ts'
import { CustomerStats } from '../pipeline/customer-stats.ts'
import type { BuildResult } from '../pipeline/features.ts'
import type { Transaction } from '../pipeline/types.ts'
import { AggregateBuilder } from './build.ts'
import { finishMerge } from './finish-merge.ts'
import { inRange } from './hash.ts'
import { PartBuilder, type MergedPart } from './merge-part.ts'
import { inWindow, Merger, type CustomerMerge } from './merger.ts'
import { FULL_RANGE, type CustomerPartial, type DatasetAggregate, type DayWindow, type HashRange } from './types.ts'

export interface MergeOptions extends DayWindow {
  range?: HashRange
  /**
   * One customer's raw rows in the chosen datasets, in (dataset order, file order): called for the
   * customers that need an exact rebuild. Without it, such a customer throws.
   */
  fetchRows?: (customerId: string) => Iterable<Transaction>
  /**
   * The same, fetched ahead (for an asynchronous store): `rebuildCustomers` of the ids that
   * `customersToRebuild` listed. Checked before `fetchRows`.
   */
  rebuilt?: ReadonlyMap<string, CustomerPartial | null>
}

/** Whether merging these partials (one per dataset, in order) needs the customer's raw rows. */
export function needsRebuild(partials: readonly CustomerPartial[], window: DayWindow = {}): boolean {
  // A partial whose rule 2 was not decided exactly (build.ts) is never trusted, even alone.
  for (const p of partials) if (p.rebuild === true) return true
  const from = window.from ?? -Infinity
  const asOf = window.asOf ?? Infinity
  if (from !== -Infinity || asOf !== Infinity) {
    for (const p of partials) {
      const s = p.splitKeys
      for (let i = 0; i < s.length; i += 2) {
        const a = s[i]!
        const b = s[i + 1]!
        if (b >= from && a <= asOf && !(a >= from && b <= asOf)) return true
      }
    }
  }
  if (partials.length < 2) return false
  const seen = new Set<string>(partials[0]!.invoices)
  for (let k = 1; k < partials.length; k++) {
    const inv = partials[k]!.invoices
    for (const i of inv) if (seen.has(i)) return true
    for (const i of inv) seen.add(i)
  }
  return false
}

/** Merges one customer's partials (one per dataset, in order) over the window; no rebuild check. */
export function mergeCustomerDetail(partials: readonly CustomerPartial[], window: DayWindow = {}): CustomerMerge & { codes: string[] } {
  const merger = new Merger()
  return { ...merger.merge(partials, window), codes: merger.codes }
}

/** The customer's CustomerStats over the window, or null without a cleaned row there. */
export function mergeCustomer(partials: readonly CustomerPartial[], window: DayWindow = {}): CustomerStats | null {
  return mergeCustomerDetail(partials, window).stats
}

/** The raw rows of one customer, filtered to the window, as a one-dataset partial (or null). */
export function rebuildCustomer(customerId: string, rows: Iterable<Transaction>, window: DayWindow = {}): CustomerPartial | null {
  const b = new AggregateBuilder({ exactDuplicates: true })
  for (const r of rows) {
    if (r.customerId !== customerId) throw new Error(`rebuild of customer ${customerId} was given a row of ${String(r.customerId)}`)
    if (inWindow(Math.floor(r.invoiceDate / DAY_MS), window)) b.push(r)
  }
  return b.finish().customers[0] ?? null
}

/** Customers by id across datasets (in dataset order), limited to the range, ids ascending. */
function customersOf(datasets: readonly DatasetAggregate[], range: HashRange): { ids: string[]; byId: Map<string, CustomerPartial[]> } {
  const full = range.lo === 0 && range.hi >= 2 ** 32
  const byId = new Map<string, CustomerPartial[]>()
  for (let k = 0; k < datasets.length; k++) {
    const a = datasets[k]!
    if (a.range.lo > range.lo || a.range.hi < range.hi) throw new Error(`dataset ${k} was built for a narrower hash range than the merge`)
    for (const c of a.customers) {
      if (!full && !inRange(c.customerId, range)) continue
      const list = byId.get(c.customerId)
      if (list === undefined) byId.set(c.customerId, [c])
      else list.push(c)
    }
  }
  return { ids: [...byId.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)), byId }
}

/** The customers of the range whose merge needs their raw rows (see needsRebuild), ascending. */
export function customersToRebuild(datasets: readonly DatasetAggregate[], options: DayWindow & { range?: HashRange } = {}): string[] {
  const { ids, byId } = customersOf(datasets, options.range ?? FULL_RANGE)
  return ids.filter((id) => needsRebuild(byId.get(id)!, options))
}

/**
 * Rebuilt partials of `ids` from their raw rows in the chosen datasets (`rows`: in dataset order
 * then file order within each customer; customers may interleave), filtered to the window. An id
 * without rows in the window maps to null.
 */
export function rebuildCustomers(ids: readonly string[], rows: Iterable<Transaction>, window: DayWindow = {}): Map<string, CustomerPartial | null> {
  const wanted = new Set(ids)
  const b = new AggregateBuilder({ exactDuplicates: true })
  for (const r of rows) {
    if (r.customerId === null || !wanted.has(r.customerId)) throw new Error(`rebuild was given a row of customer ${String(r.customerId)}, not asked for`)
    if (inWindow(Math.floor(r.invoiceDate / DAY_MS), window)) b.push(r)
  }
  const out = new Map<string, CustomerPartial | null>(ids.map((id) => [id, null]))
  for (const c of b.finish().customers) out.set(c.customerId, c)
  return out
}

/** Merges the customers of `options.range` (default: all) across `datasets` (in order). */
export function mergePart(datasets: readonly DatasetAggregate[], options: MergeOptions = {}): MergedPart {
  if (datasets.length >= 4096) throw new Error('at most 4095 datasets per merge')
  const range = options.range ?? FULL_RANGE
  const window: DayWindow = { asOf: options.asOf, from: options.from }
  const { ids, byId } = customersOf(datasets, range)
  const part = new PartBuilder()
  // The guest rows belong to no customer, so to no range: the range that starts at 0 counts them.
  if (range.lo === 0) part.addGuestRows(guestRows(datasets, window))
  const rebuilt: string[] = []
  const stats = new CustomerStats()
  const merger = new Merger()
  for (const id of ids) {
    let partials = byId.get(id)!
    let w = window
    if (needsRebuild(partials, window)) {
      const p = rebuiltPartial(id, options, window)
      rebuilt.push(id)
      if (p === null) continue
      partials = [p]
      w = {}
    }
    part.add(id, merger.merge(partials, w, stats))
  }
  return part.result(merger, rebuilt)
}

/** The datasets' rows without a customer id on days in the window. */
function guestRows(datasets: readonly DatasetAggregate[], window: DayWindow): number {
  let rows = 0
  for (const a of datasets) {
    const g = a.guestDays
    for (let i = 0; i < g.length; i += 2) if (inWindow(g[i]!, window)) rows += g[i + 1]!
  }
  return rows
}

/** The customer's raw rows over the window as one partial (null: none there), fetched ahead or now. */
function rebuiltPartial(id: string, options: MergeOptions, window: DayWindow): CustomerPartial | null {
  if (options.rebuilt?.has(id)) return options.rebuilt.get(id)!
  if (options.fetchRows !== undefined) return rebuildCustomer(id, options.fetchRows(id), window)
  throw new Error(`customer ${id} needs an exact rebuild (an invoice in two datasets, a rule-2 key the window splits, or a partial flagged rebuild) and neither rebuilt nor fetchRows has it`)
}

/** mergePart over every customer, then finishMerge: the training's features from aggregates. */
export function mergeAggregates(datasets: readonly DatasetAggregate[], options: Omit<MergeOptions, 'range'> = {}): BuildResult {
  return finishMerge([mergePart(datasets, options)], { asOf: options.asOf })
}
