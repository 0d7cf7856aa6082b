// Merging one customer's partials (one per dataset, in dataset order) over a day window into the
// recipes' CustomerStats, the products it touched and its purchase days (merge.ts drives it over
// customers and hash ranges; docs/decisions.md, "Mergeable customer aggregates").
import { CustomerStats } from '../pipeline/customer-stats.ts'
import { CustomerRun } from './merge-run.ts'
import type { AggregateDictionary, CustomerPartial, DayWindow } from './types.ts'

/** Order key of a row: (dataset rank, seq). seq < 2^40, rank < 2^12. */
export const RANK = 2 ** 40

/** Everything the merge of one customer produces besides CustomerStats. */
export interface CustomerMerge {
  /** null when no cleaned row falls in the window. */
  stats: CustomerStats | null
  rowsIn: number
  /** Per cleaning rule index. */
  removed: number[]
  /** Leading rules passed by the customer's best row (0..6). */
  stage: number
  /**
   * Products whose rows reached rule 5, as indexes into the merger's `codes`, with the order key
   * of the first such row and flags (1: cleaned rows, 2: purchase rows).
   */
  products: number[]
  productKeys: number[]
  productFlags: number[]
  /** Distinct purchase days, ascending, with each day's Σ quantity x price over purchase rows. */
  purchaseDays: number[]
  purchaseValues: number[]
}

export const inWindow = (day: number, w: DayWindow) => !(w.from !== undefined && day < w.from) && !(w.asOf !== undefined && day > w.asOf)

/** Per dataset dictionary: its products' indexes in the merger's codes, and its variant counters. */
interface DictionaryMap {
  global: Int32Array
  /** Offset of each product's variants in `counts`. */
  variantBase: Int32Array
  counts: Float64Array
}

/**
 * Merges customers' partials against one product numbering (stock code -> index), and adds up
 * the description counts of the customers it merged. One per merge (or per hash range).
 */
export class Merger {
  readonly codes: string[] = []
  private readonly at = new Map<string, number>()
  private readonly maps = new Map<AggregateDictionary, DictionaryMap>()
  private key = new Float64Array(1024)
  private flags = new Int32Array(1024)
  private stamp = new Int32Array(1024)
  private serial = 0

  /** Merges one customer's partials (one per dataset, in dataset order) over the window; no rebuild check. */
  merge(partials: readonly CustomerPartial[], window: DayWindow = {}, stats?: CustomerStats): CustomerMerge {
    const s = stats ?? new CustomerStats()
    s.reset(partials[0]?.customerId ?? '')
    const serial = ++this.serial
    const run = new CustomerRun(s)
    for (let rank = 0; rank < partials.length; rank++) {
      const p = partials[rank]!
      const map = this.mapOf(p.dictionary)
      const base = rank * RANK
      if (rank === 1) run.keyPurchasesByDay()
      for (const d of p.days) {
        if (!inWindow(d.day, window)) continue
        run.countRows(d)
        this.addProducts(run.products, d.products, map, base, serial)
        const vs = d.variants
        for (let i = 0; i < vs.length; i += 3) map.counts[map.variantBase[vs[i]!]! + vs[i + 1]!]! += vs[i + 2]!
        if (d.lines === 0) continue
        run.addDay(d, p, base)
      }
    }
    const { purchaseDays, purchaseValues } = run.finish()
    applyExact(partials, window, s)
    const { productKeys, productFlags } = this.productsOf(run.products, s)
    const { rowsIn, removed, stage, products } = run
    return { stats: s.lines > 0 ? s : null, rowsIn, removed, stage, products, productKeys, productFlags, purchaseDays, purchaseValues }
  }

  /**
   * A day's product entries (local index, flags, seq, cleaned rows; 4 numbers each): the first
   * sight of a product in this merge (`serial`) records it, later ones keep the least order key
   * and add flags. The cleaned rows of a product with one description variant count here.
   */
  private addProducts(products: number[], pr: readonly number[], map: DictionaryMap, base: number, serial: number): void {
    const global = map.global
    for (let i = 0; i < pr.length; i += 4) {
      const local = pr[i]!
      const g = global[local]!
      const key = base + pr[i + 2]!
      const flags = pr[i + 1]!
      if (this.stamp[g] !== serial) {
        this.stamp[g] = serial
        this.key[g] = key
        this.flags[g] = flags
        products.push(g)
      } else {
        if (key < this.key[g]!) this.key[g] = key
        this.flags[g]! |= flags
      }
      if (flags & 1 && map.variantBase[local + 1]! - map.variantBase[local]! === 1) map.counts[map.variantBase[local]!]! += pr[i + 3]!
    }
  }

  /** The order keys and flags of the merge's products, and the stats' product counts. */
  private productsOf(products: readonly number[], s: CustomerStats): { productKeys: number[]; productFlags: number[] } {
    const productKeys: number[] = []
    const productFlags: number[] = []
    for (const g of products) {
      const f = this.flags[g]!
      productKeys.push(this.key[g]!)
      productFlags.push(f)
      if (f & 1) s.uniqueProducts++
      if (f & 2) s.purchasedProducts++
    }
    return { productKeys, productFlags }
  }

  /** Stock code -> upper-cased description -> cleaned rows, over every customer merged so far. */
  descriptions(): Map<string, Map<string, number>> {
    const out = new Map<string, Map<string, number>>()
    for (const [dict, map] of this.maps) {
      dict.variants.forEach((texts, p) => {
        for (let v = 0; v < texts.length; v++) {
          const n = map.counts[map.variantBase[p]! + v]!
          if (n === 0) continue
          const code = dict.stockCodes[p]!
          let m = out.get(code)
          if (m === undefined) {
            m = new Map()
            out.set(code, m)
          }
          m.set(texts[v]!, (m.get(texts[v]!) ?? 0) + n)
        }
      })
    }
    return out
  }

  private mapOf(dict: AggregateDictionary): DictionaryMap {
    let m = this.maps.get(dict)
    if (m !== undefined && m.global.length === dict.stockCodes.length) return m
    const n = dict.stockCodes.length
    const global = new Int32Array(n)
    const variantBase = new Int32Array(n + 1)
    for (let p = 0; p < n; p++) {
      const code = dict.stockCodes[p]!
      let g = this.at.get(code)
      if (g === undefined) {
        g = this.codes.length
        this.at.set(code, g)
        this.codes.push(code)
      }
      global[p] = g
      variantBase[p + 1] = variantBase[p]! + (dict.variants[p]?.length ?? 0)
    }
    const counts = new Float64Array(variantBase[n]!)
    if (m !== undefined) counts.set(m.counts.subarray(0, Math.min(m.counts.length, counts.length)))
    m = { global, variantBase, counts }
    this.maps.set(dict, m)
    const size = this.codes.length
    if (size > this.key.length) {
      const k = new Float64Array(size * 2)
      k.set(this.key)
      this.key = k
      const f = new Int32Array(size * 2)
      f.set(this.flags)
      this.flags = f
      const st = new Int32Array(size * 2)
      st.set(this.stamp)
      this.stamp = st
    }
    return m
  }
}

/**
 * After a merge of one customer: when one partial holds every cleaned day of the customer and
 * they are all in the window, its row sums replace the day sums in `s`.
 */
function applyExact(partials: readonly CustomerPartial[], window: DayWindow, s: CustomerStats): void {
  const exact = partials.length === 1 ? partials[0]!.exact : undefined
  if (exact === undefined || partials[0]!.days.some((d) => d.lines > 0 && !inWindow(d.day, window))) return
  s.netSpend = exact.net
  s.netSpendComp = 0
  s.purchaseSpend = exact.purchase
  s.purchaseSpendComp = 0
  for (let i = 0; i < exact.months.length; i += 2) {
    for (let m = 0; m < s.months; m++) {
      if (s.monthKeys[m] !== exact.months[i]) continue
      s.monthSums[m] = exact.months[i + 1]!
      s.monthComps[m] = 0
    }
  }
}
