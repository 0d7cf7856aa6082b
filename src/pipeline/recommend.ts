// Product recommendations: the products most widely bought in the customer's segment that the
// customer has not bought yet. Popularity is the number of distinct buyers in the segment
// (non-cancelled lines), not quantity, so one wholesale order cannot dominate a list.

import { segmentCount } from './profiles.ts'
import type { Baskets, ProductRank, Recommendation } from './types.ts'

export const DEFAULT_RECOMMENDATIONS = 5
/** Products kept per segment: enough to fill a list after removing what a customer bought. */
export const DEFAULT_TOP_PRODUCTS = 50

/**
 * Per segment (index = segment id), its `limit` most bought products by distinct buyers; ties to
 * the smaller stock code. `assignment[c]` is the segment of `baskets.customerIds[c]` (< 0: none).
 */
export function topProductsBySegment(
  baskets: Baskets,
  assignment: Int32Array,
  options: { k?: number; limit?: number } = {},
): ProductRank[][] {
  const customers = baskets.customerIds.length
  if (assignment.length !== customers) {
    throw new Error(`assignment has ${assignment.length} ids for ${customers} customers`)
  }
  const k = segmentCount(assignment, options.k)
  const limit = options.limit ?? DEFAULT_TOP_PRODUCTS
  const products = baskets.stockCodes.length
  const buyers = new Int32Array(k * products)
  for (let c = 0; c < customers; c++) {
    const s = assignment[c]!
    if (s < 0) continue
    if (s >= k) throw new Error(`segment id ${s} at row ${c} is not below k = ${k}`)
    // Basket items are distinct per customer, so each adds one buyer.
    for (let j = baskets.offsets[c]!; j < baskets.offsets[c + 1]!; j++) buyers[s * products + baskets.items[j]!]!++
  }
  const result: ProductRank[][] = []
  for (let s = 0; s < k; s++) {
    const base = s * products
    const ranked: number[] = []
    for (let p = 0; p < products; p++) if (buyers[base + p]! > 0) ranked.push(p)
    ranked.sort((a, b) => {
      const d = buyers[base + b]! - buyers[base + a]!
      if (d !== 0) return d
      const x = baskets.stockCodes[a]!
      const y = baskets.stockCodes[b]!
      return x < y ? -1 : x > y ? 1 : 0
    })
    result.push(
      ranked.slice(0, limit).map((p) => ({
        stockCode: baskets.stockCodes[p]!,
        description: baskets.descriptions[p]!,
        buyers: buyers[base + p]!,
      })),
    )
  }
  return result
}

/** Distinct stock codes customer `index` (row of the baskets) bought. */
export function boughtStockCodes(baskets: Baskets, index: number): string[] {
  const out: string[] = []
  for (let j = baskets.offsets[index]!; j < baskets.offsets[index + 1]!; j++) out.push(baskets.stockCodes[baskets.items[j]!]!)
  return out
}

/** The first `n` products of a segment's ranking that are not in `bought` (fewer if exhausted). */
export function recommendProducts(
  top: readonly ProductRank[],
  bought: Iterable<string>,
  n: number = DEFAULT_RECOMMENDATIONS,
): Recommendation[] {
  const have = bought instanceof Set ? (bought as ReadonlySet<string>) : new Set(bought)
  const out: Recommendation[] = []
  for (const p of top) {
    if (out.length >= n) break
    if (!have.has(p.stockCode)) out.push({ stockCode: p.stockCode, description: p.description })
  }
  return out
}

/** Recommendations for every customer of the baskets (unassigned customers get none). */
export function recommendForCustomers(
  baskets: Baskets,
  assignment: Int32Array,
  top: readonly (readonly ProductRank[])[],
  n: number = DEFAULT_RECOMMENDATIONS,
): Recommendation[][] {
  const out: Recommendation[][] = []
  for (let c = 0; c < baskets.customerIds.length; c++) {
    const s = assignment[c]!
    const ranking = s >= 0 ? top[s] : undefined
    out.push(ranking === undefined ? [] : recommendProducts(ranking, boughtStockCodes(baskets, c), n))
  }
  return out
}
