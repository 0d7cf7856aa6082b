// Merging aggregates: the partials of any list of datasets (their concatenation in that order),
// restricted to days in [from, asOf], into the recipes' CustomerStats and a BuildResult equal to
// buildFeatures on the concatenated, filtered rows (docs/decisions.md).
//
// Two steps, so that the work fans out by customer-hash range: `mergePart` merges the customers
// of one range (anything but the reference date, which is global), `finishMerge` concatenates
// disjoint parts, resolves the reference date and numbers the products. `mergeAggregates` does
// both for one process.
//
// Exactness across datasets: rule 2 removes a row whose key (InvoiceNo, StockCode, Description,
// CustomerID, Quantity) occurred earlier in the concatenation. A key's rows share the customer
// and the invoice, so a customer whose invoice sets (over rows that passed rule 1) are disjoint
// across the chosen datasets has no duplicate across them and its partials simply add. A customer
// with a shared invoice, or with a rule-2 key spread over days that the window separates, is
// rebuilt from its raw rows (the caller's `fetchRows`), filtered to the window: exact, and rare
// outside overlapping uploads.
import { DAY_MS } from '../pipeline/calendar.ts'
import { CLEANING_RULES } from '../pipeline/clean.ts'
import { CustomerStats } from '../pipeline/customer-stats.ts'
import type { BuildResult } from '../pipeline/features.ts'
import { RECIPES } from '../pipeline/recipes/index.ts'
import type { CleaningReport, CleaningStep, Transaction } from '../pipeline/types.ts'
import { AggregateBuilder } from './build.ts'
import { inRange } from './hash.ts'
import { inWindow, Merger, type CustomerMerge } from './merger.ts'
import { FULL_RANGE, type CustomerPartial, type DatasetAggregate, type DayWindow, type HashRange } from './types.ts'

const SEED = RECIPES.seed
const DEFAULT = RECIPES.default

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
  const b = new AggregateBuilder()
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
  const b = new AggregateBuilder()
  for (const r of rows) {
    if (r.customerId === null || !wanted.has(r.customerId)) throw new Error(`rebuild was given a row of customer ${String(r.customerId)}, not asked for`)
    if (inWindow(Math.floor(r.invoiceDate / DAY_MS), window)) b.push(r)
  }
  const out = new Map<string, CustomerPartial | null>(ids.map((id) => [id, null]))
  for (const c of b.finish().customers) out.set(c.customerId, c)
  return out
}

/** The merge of one customer-hash range: everything but what needs the global reference date. */
export interface MergedPart {
  /** Customers with a cleaned row in the window, ascending. */
  customerIds: string[]
  /** Recipe rows as `Recipe.write` leaves them (reference-date columns unresolved). */
  seed: Float64Array
  default: Float64Array
  /** Latest day with a cleaned row (-Infinity when none). */
  maxDay: number
  rowsIn: number
  removed: number[]
  customersAfter: number[]
  /** Customers that were rebuilt from raw rows. */
  rebuilt: string[]
  /** Every stock code that reached rule 5, with its first appearance: customer id and order key. */
  products: { stockCode: string; customerId: string; key: number; cleaned: boolean; descriptions: Map<string, number> }[]
  /** Per customer (CSR), the stock codes bought (purchase lines). */
  basketOffsets: Int32Array
  basketCodes: string[]
  /** Per customer (CSR), its purchase days and their values (the value model's input). */
  purchaseOffsets: Int32Array
  purchaseDays: Int32Array
  purchaseValues: Float64Array
}

/** Merges the customers of `options.range` (default: all) across `datasets` (in order). */
export function mergePart(datasets: readonly DatasetAggregate[], options: MergeOptions = {}): MergedPart {
  if (datasets.length >= 4096) throw new Error('at most 4095 datasets per merge')
  const range = options.range ?? FULL_RANGE
  const window: DayWindow = { asOf: options.asOf, from: options.from }
  const { ids, byId } = customersOf(datasets, range)
  const removed = [0, 0, 0, 0, 0, 0]
  const customersAfter = [0, 0, 0, 0, 0, 0]
  let rowsIn = 0
  if (range.lo === 0) {
    for (const a of datasets) {
      const g = a.guestDays
      for (let i = 0; i < g.length; i += 2) {
        if (!inWindow(g[i]!, window)) continue
        rowsIn += g[i + 1]!
        removed[0]! += g[i + 1]!
      }
    }
  }
  const seedW = SEED.featureNames.length
  const defW = DEFAULT.featureNames.length
  const seed: number[] = []
  const def: number[] = []
  const seedRow = new Float64Array(seedW)
  const defRow = new Float64Array(defW)
  const customerIds: string[] = []
  const rebuilt: string[] = []
  const firstCustomer: (string | undefined)[] = []
  const firstKey: number[] = []
  const cleaned: boolean[] = []
  const basketOffsets: number[] = [0]
  const basketCodes: string[] = []
  const purchaseOffsets: number[] = [0]
  const purchaseDays: number[] = []
  const purchaseValues: number[] = []
  const stats = new CustomerStats()
  const merger = new Merger()
  let maxDay = -Infinity
  for (const id of ids) {
    let partials = byId.get(id)!
    let w = window
    if (needsRebuild(partials, window)) {
      let p: CustomerPartial | null
      if (options.rebuilt?.has(id)) p = options.rebuilt.get(id)!
      else if (options.fetchRows !== undefined) p = rebuildCustomer(id, options.fetchRows(id), window)
      else throw new Error(`customer ${id} needs an exact rebuild (duplicates across datasets) and neither rebuilt nor fetchRows has it`)
      rebuilt.push(id)
      if (p === null) continue
      partials = [p]
      w = {}
    }
    const m = merger.merge(partials, w, stats)
    rowsIn += m.rowsIn
    for (let r = 0; r < 6; r++) {
      removed[r]! += m.removed[r]!
      if (r < m.stage) customersAfter[r]!++
    }
    for (let j = 0; j < m.products.length; j++) {
      const g = m.products[j]!
      const flags = m.productFlags[j]!
      // Customers come in ascending order: the first one to show a product keeps it.
      if (firstCustomer[g] === undefined) {
        firstCustomer[g] = id
        firstKey[g] = m.productKeys[j]!
      }
      if (flags & 1) cleaned[g] = true
    }
    const s = m.stats
    if (s === null) continue
    customerIds.push(id)
    SEED.write(s, seedRow, 0)
    DEFAULT.write(s, defRow, 0)
    for (let j = 0; j < seedW; j++) seed.push(seedRow[j]!)
    for (let j = 0; j < defW; j++) def.push(defRow[j]!)
    if (s.maxDay > maxDay) maxDay = s.maxDay
    for (let j = 0; j < m.products.length; j++) if (m.productFlags[j]! & 2) basketCodes.push(merger.codes[m.products[j]!]!)
    basketOffsets.push(basketCodes.length)
    for (let i = 0; i < m.purchaseDays.length; i++) {
      purchaseDays.push(m.purchaseDays[i]!)
      purchaseValues.push(m.purchaseValues[i]!)
    }
    purchaseOffsets.push(purchaseDays.length)
  }
  return {
    customerIds,
    seed: Float64Array.from(seed),
    default: Float64Array.from(def),
    maxDay,
    rowsIn,
    removed,
    customersAfter,
    rebuilt,
    products: partProducts(merger, firstCustomer, firstKey, cleaned),
    basketOffsets: Int32Array.from(basketOffsets),
    basketCodes,
    purchaseOffsets: Int32Array.from(purchaseOffsets),
    purchaseDays: Int32Array.from(purchaseDays),
    purchaseValues: Float64Array.from(purchaseValues),
  }
}

function partProducts(merger: Merger, firstCustomer: (string | undefined)[], firstKey: number[], cleaned: boolean[]): MergedPart['products'] {
  const texts = merger.descriptions()
  const out: MergedPart['products'] = []
  merger.codes.forEach((stockCode, g) => {
    const customerId = firstCustomer[g]
    if (customerId === undefined) return
    out.push({ stockCode, customerId, key: firstKey[g]!, cleaned: cleaned[g] === true, descriptions: texts.get(stockCode) ?? new Map() })
  })
  return out
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

/**
 * Concatenates the parts of disjoint customer-hash ranges (any order) into what buildFeatures
 * returns on the concatenated, filtered rows. The reference date is `asOf` when given (day
 * number), else the latest cleaned day of all parts.
 */
export function finishMerge(parts: readonly MergedPart[], options: { asOf?: number } = {}): BuildResult {
  // Customers in ascending id order across parts.
  const rows: [string, number, number][] = []
  parts.forEach((p, k) => p.customerIds.forEach((id, i) => rows.push([id, k, i])))
  rows.sort((a, b) => cmp(a[0], b[0]))
  for (let i = 1; i < rows.length; i++) if (rows[i]![0] === rows[i - 1]![0]) throw new Error(`customer ${rows[i]![0]} is in two parts: ranges overlap`)
  let maxDay = -Infinity
  for (const p of parts) if (p.maxDay > maxDay) maxDay = p.maxDay
  const referenceDay = options.asOf ?? (rows.length > 0 ? maxDay : Number.NaN)
  const customerIds = rows.map((r) => r[0])
  const table = (recipe: typeof SEED, pick: (p: MergedPart) => Float64Array) => {
    const w = recipe.featureNames.length
    const values = new Float64Array(rows.length * w)
    rows.forEach(([, k, i], j) => {
      values.set(pick(parts[k]!).subarray(i * w, (i + 1) * w), j * w)
      recipe.resolve(values, j * w, referenceDay)
    })
    return { recipe: recipe.name, recipeVersion: recipe.version, features: recipe.featureNames, customerIds: customerIds.slice(), values, referenceDate: referenceDay * DAY_MS }
  }

  // Cleaning report.
  let rowsIn = 0
  const removed = [0, 0, 0, 0, 0, 0]
  const after = [0, 0, 0, 0, 0, 0]
  for (const p of parts) {
    rowsIn += p.rowsIn
    for (let r = 0; r < 6; r++) {
      removed[r]! += p.removed[r]!
      after[r]! += p.customersAfter[r]!
    }
  }
  const steps: CleaningStep[] = []
  let left = rowsIn
  for (let r = 0; r < 6; r++) {
    left -= removed[r]!
    const { rule, description } = CLEANING_RULES[r]!
    steps.push({ rule, description, rowsRemoved: removed[r]!, rowsAfter: left, customersAfter: after[r]! })
  }
  const cleaning: CleaningReport = { rowsIn, steps, rowsOut: left, customers: after[5]! }

  // Products numbered by first appearance in (customer, dataset, file) order, as FeaturePass does.
  const first = new Map<string, { customerId: string; key: number; cleaned: boolean; descriptions: Map<string, number> }>()
  for (const p of parts) {
    for (const q of p.products) {
      const known = first.get(q.stockCode)
      if (known === undefined) {
        first.set(q.stockCode, { customerId: q.customerId, key: q.key, cleaned: q.cleaned, descriptions: new Map(q.descriptions) })
        continue
      }
      if (q.customerId < known.customerId || (q.customerId === known.customerId && q.key < known.key)) {
        known.customerId = q.customerId
        known.key = q.key
      }
      known.cleaned ||= q.cleaned
      for (const [t, n] of q.descriptions) known.descriptions.set(t, (known.descriptions.get(t) ?? 0) + n)
    }
  }
  const order = [...first.entries()]
    .filter(([, v]) => v.cleaned)
    .sort((a, b) => cmp(a[1].customerId, b[1].customerId) || a[1].key - b[1].key)
  const stockCodes = order.map(([code]) => code)
  const index = new Map(stockCodes.map((c, i) => [c, i]))
  const descriptions = order.map(([, v]) => {
    let best = ''
    let bestN = -1
    for (const [t, n] of v.descriptions) {
      if (n > bestN || (n === bestN && t < best)) {
        best = t
        bestN = n
      }
    }
    return best
  })
  const offsets = new Int32Array(rows.length + 1)
  const items: number[] = []
  rows.forEach(([, k, i], j) => {
    const p = parts[k]!
    const start = items.length
    for (let x = p.basketOffsets[i]!; x < p.basketOffsets[i + 1]!; x++) items.push(index.get(p.basketCodes[x]!)!)
    const mine = items.splice(start).sort((a, b) => a - b)
    for (const v of mine) items.push(v)
    offsets[j + 1] = items.length
  })
  return {
    original: table(SEED, (p) => p.seed),
    default: table(DEFAULT, (p) => p.default),
    cleaning,
    baskets: { customerIds: customerIds.slice(), stockCodes, descriptions, offsets, items: Int32Array.from(items) },
  }
}

/** mergePart over every customer, then finishMerge: the training's features from aggregates. */
export function mergeAggregates(datasets: readonly DatasetAggregate[], options: Omit<MergeOptions, 'range'> = {}): BuildResult {
  return finishMerge([mergePart(datasets, options)], { asOf: options.asOf })
}
