// The second step of a merge (merge.ts): the parts of disjoint customer-hash ranges concatenated
// into what buildFeatures returns on the concatenated, filtered rows; here the reference date is
// resolved and the products are numbered, as they need every customer.
import { DAY_MS } from '../pipeline/calendar.ts'
import { CLEANING_RULES } from '../pipeline/clean.ts'
import type { BuildResult } from '../pipeline/features.ts'
import { RECIPES, type Recipe } from '../pipeline/recipes/index.ts'
import type { CleaningReport, CleaningStep, FeatureTable } from '../pipeline/types.ts'
import type { PurchaseDays } from '../value/purchase-days.ts'
import type { MergedPart } from './merge-part.ts'

const SEED = RECIPES.seed
const DEFAULT = RECIPES.default

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

/** A customer of the merge: its id, its part and its row there. */
type PartRow = [string, number, number]

/**
 * Concatenates the parts of disjoint customer-hash ranges (any order) into what buildFeatures
 * returns on the concatenated, filtered rows. The reference date is `asOf` when given (day
 * number), else the latest cleaned day of all parts.
 */
export function finishMerge(parts: readonly MergedPart[], options: { asOf?: number } = {}): BuildResult {
  const rows = customerRows(parts)
  let maxDay = -Infinity
  for (const p of parts) if (p.maxDay > maxDay) maxDay = p.maxDay
  const referenceDay = options.asOf ?? (rows.length > 0 ? maxDay : Number.NaN)
  const customerIds = rows.map((r) => r[0])
  const { stockCodes, descriptions, index } = numberProducts(parts)
  const { offsets, items } = baskets(parts, rows, index)
  return {
    original: table(SEED, parts, rows, (p) => p.seed, customerIds, referenceDay),
    default: table(DEFAULT, parts, rows, (p) => p.default, customerIds, referenceDay),
    cleaning: cleaningReport(parts),
    baskets: { customerIds: customerIds.slice(), stockCodes, descriptions, offsets, items },
    purchaseDays: purchaseDays(parts, rows),
  }
}

/** Every customer's purchase days (value/purchase-days.ts), in the tables' customer order. */
function purchaseDays(parts: readonly MergedPart[], rows: readonly PartRow[]): PurchaseDays {
  const offsets = new Int32Array(rows.length + 1)
  let n = 0
  rows.forEach(([, k, i], j) => {
    const p = parts[k]!
    n += p.purchaseOffsets[i + 1]! - p.purchaseOffsets[i]!
    offsets[j + 1] = n
  })
  const days = new Int32Array(n)
  const values = new Float64Array(n)
  rows.forEach(([, k, i], j) => {
    const p = parts[k]!
    days.set(p.purchaseDays.subarray(p.purchaseOffsets[i]!, p.purchaseOffsets[i + 1]!), offsets[j]!)
    values.set(p.purchaseValues.subarray(p.purchaseOffsets[i]!, p.purchaseOffsets[i + 1]!), offsets[j]!)
  })
  return { customerIds: rows.map((r) => r[0]), offsets, days, values }
}

/** The customers of all parts in ascending id order; throws when two parts share one. */
function customerRows(parts: readonly MergedPart[]): PartRow[] {
  const rows: PartRow[] = []
  parts.forEach((p, k) => p.customerIds.forEach((id, i) => rows.push([id, k, i])))
  rows.sort((a, b) => cmp(a[0], b[0]))
  for (let i = 1; i < rows.length; i++) if (rows[i]![0] === rows[i - 1]![0]) throw new Error(`customer ${rows[i]![0]} is in two parts: ranges overlap`)
  return rows
}

/** One recipe's table over the customers, its reference-date columns resolved. */
function table(recipe: Recipe, parts: readonly MergedPart[], rows: readonly PartRow[], pick: (p: MergedPart) => Float64Array, customerIds: string[], referenceDay: number): FeatureTable {
  const w = recipe.featureNames.length
  const values = new Float64Array(rows.length * w)
  rows.forEach(([, k, i], j) => {
    values.set(pick(parts[k]!).subarray(i * w, (i + 1) * w), j * w)
    recipe.resolve(values, j * w, referenceDay)
  })
  return { recipe: recipe.name, recipeVersion: recipe.version, features: recipe.featureNames, customerIds: customerIds.slice(), values, referenceDate: referenceDay * DAY_MS }
}

/** The parts' cleaning counts added up into the report of the six rules. */
function cleaningReport(parts: readonly MergedPart[]): CleaningReport {
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
  return { rowsIn, steps, rowsOut: left, customers: after[5]! }
}

/**
 * Products numbered by first appearance in (customer, dataset, file) order, as FeaturePass does,
 * each with its most frequent description (ties to the smaller text).
 */
function numberProducts(parts: readonly MergedPart[]): { stockCodes: string[]; descriptions: string[]; index: Map<string, number> } {
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
  return { stockCodes, descriptions, index }
}

/** Each customer's basket (CSR) as ascending product numbers. */
function baskets(parts: readonly MergedPart[], rows: readonly PartRow[], index: ReadonlyMap<string, number>): { offsets: Int32Array; items: Int32Array } {
  // Each part's product indices → the merge's product numbers.
  const numbers = parts.map((p) => Int32Array.from(p.products, (q) => index.get(q.stockCode) ?? -1))
  const offsets = new Int32Array(rows.length + 1)
  rows.forEach(([, k, i], j) => {
    const p = parts[k]!
    offsets[j + 1] = offsets[j]! + p.basketOffsets[i + 1]! - p.basketOffsets[i]!
  })
  const items = new Int32Array(offsets[rows.length]!)
  rows.forEach(([, k, i], j) => {
    const p = parts[k]!
    const n = numbers[k]!
    let y = offsets[j]!
    for (let x = p.basketOffsets[i]!; x < p.basketOffsets[i + 1]!; x++) items[y++] = n[p.basketProducts[x]!]!
    items.subarray(offsets[j]!, y).sort()
  })
  return { offsets, items }
}
