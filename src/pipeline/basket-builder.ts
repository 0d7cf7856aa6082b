// The feature pass's product accumulator: per product its raw descriptions and row counts, per
// customer the distinct products (all rows, and purchase rows: the basket). Products are the
// cleaner's stock code index (clean.ts).
import type { StockCodeIndex } from './clean.ts'
import { Growable, newI32 } from './growable.ts'
import type { Baskets } from './types.ts'

/** `add` flags: the product is new for this customer (any row), new among its purchases. */
export const NEW_PRODUCT = 1
export const NEW_PURCHASE = 2

export class BasketBuilder {
  private readonly stockCodes: StockCodeIndex
  /** Per product, its raw descriptions and their row counts (usually one or two: linear search). */
  private readonly descriptionTexts: string[][] = []
  private readonly descriptionCounts: number[][] = []
  /** Customers started so far; a product stamped with it was counted for this customer. */
  private serial = 0
  private stampAny = new Int32Array(1024)
  private stampPurchase = new Int32Array(1024)
  private readonly offsets = new Growable(new Int32Array(1024), newI32)
  private readonly items = new Growable(new Int32Array(16_384), newI32)

  constructor(stockCodes: StockCodeIndex) {
    this.stockCodes = stockCodes
    this.offsets.push(0)
  }

  startCustomer(): void {
    this.serial++
  }

  /** One kept row of product `p`; returns NEW_PRODUCT | NEW_PURCHASE flags. */
  add(p: number, description: string, cancelled: boolean): number {
    if (p >= this.descriptionTexts.length) this.addProducts()
    const texts = this.descriptionTexts[p]!
    let d = 0
    while (d < texts.length && texts[d] !== description) d++
    if (d === texts.length) {
      texts.push(description)
      this.descriptionCounts[p]!.push(1)
    } else this.descriptionCounts[p]![d]!++
    let flags = 0
    if (this.stampAny[p] !== this.serial) {
      this.stampAny[p] = this.serial
      flags |= NEW_PRODUCT
    }
    if (!cancelled && this.stampPurchase[p] !== this.serial) {
      this.stampPurchase[p] = this.serial
      this.items.push(p)
      flags |= NEW_PURCHASE
    }
    return flags
  }

  /** Closes the customer's basket (its products in ascending index). */
  endCustomer(): void {
    const start = this.offsets.data[this.offsets.length - 1]!
    this.items.data.subarray(start, this.items.length).sort()
    this.offsets.push(this.items.length)
  }

  /** The baskets of the customers, in the order they were closed. */
  finish(customerIds: readonly string[]): Baskets {
    this.addProducts()
    const descriptions = this.descriptionTexts.map((texts, p) => mostFrequentUpper(texts, this.descriptionCounts[p]!))
    // Only codes with cleaned rows (the cleaner also indexes codes of rows it removes later).
    const renumber = new Int32Array(descriptions.length).fill(-1)
    const stockCodes: string[] = []
    const kept: string[] = []
    for (let p = 0; p < descriptions.length; p++) {
      if (this.descriptionTexts[p]!.length === 0) continue
      renumber[p] = stockCodes.length
      stockCodes.push(this.stockCodes.codes[p]!)
      kept.push(descriptions[p]!)
    }
    // Renumbering keeps the order, so each customer's items stay ascending.
    const items = this.items.toArray()
    for (let j = 0; j < items.length; j++) items[j] = renumber[items[j]!]!
    return { customerIds: customerIds.slice(), stockCodes, descriptions: kept, offsets: this.offsets.toArray(), items }
  }

  /** Extends the per-product arrays to the products the cleaner has indexed. */
  private addProducts(): void {
    const n = this.stockCodes.size
    while (this.descriptionTexts.length < n) {
      this.descriptionTexts.push([])
      this.descriptionCounts.push([])
    }
    if (n > this.stampAny.length) {
      const size = Math.max(n, this.stampAny.length * 2)
      const any = new Int32Array(size)
      any.set(this.stampAny)
      this.stampAny = any
      const purchase = new Int32Array(size)
      purchase.set(this.stampPurchase)
      this.stampPurchase = purchase
    }
  }
}

/** Most frequent upper-cased description; raw variants that upper-case alike merge; ties to the smaller string. */
function mostFrequentUpper(texts: readonly string[], counts: readonly number[]): string {
  const merged = new Map<string, number>()
  texts.forEach((raw, d) => {
    const upper = raw.toUpperCase()
    merged.set(upper, (merged.get(upper) ?? 0) + counts[d]!)
  })
  let best = ''
  let bestCount = -1
  for (const [d, n] of merged) {
    if (n > bestCount || (n === bestCount && d < best)) {
      best = d
      bestCount = n
    }
  }
  return best
}
