// From raw transactions to customer feature tables, in one streaming pass.
//
// Rows must arrive grouped by customer (all rows of a customer consecutive, in file order within
// the customer; rows without a customer id anywhere), which is the database order (customer, line).
// Each row goes through the cleaner (clean.ts) and, if kept, into the running statistics of the
// current customer (customer-stats.ts); when the customer changes, each recipe writes the
// customer's row. Only one customer's statistics are held, never the rows. Columns that depend on
// the reference date (the latest cleaned invoice day, known at the end) are resolved last.
//
// `featurizeTransactions` (scoring an unseen customer) runs the very same pass with a given
// reference date.

import { DAY_MS, dayOf, hourOf, monthIndexOfDay, weekdayOfDay } from './calendar.ts'
import { isCancellation, KEPT, StockCodeIndex, StreamingCleaner } from './clean.ts'
import { CustomerStats } from './customer-stats.ts'
import { getRecipe, RECIPES, type Recipe } from './recipes/index.ts'
import { recipeId } from './recipe-id.ts'
import type { Baskets, CleaningReport, FeatureTable, Transaction } from './types.ts'

export interface BuildResult {
  /**
   * The original recipe's table. Named `seed` (the recipe's former name) because
   * datasets/features-store.ts stores builds under that key; read it through recipeTable().
   */
  seed: FeatureTable
  default: FeatureTable
  cleaning: CleaningReport
  baskets: Baskets
}

/**
 * The table of a recipe (id or alias). A stored build (datasets/features-store.ts) made before
 * issue 13 names the original recipe's table `seed`: the table returned carries the id.
 */
export function recipeTable(build: BuildResult, recipe: string): FeatureTable {
  const id = recipeId(recipe)
  const table = id === 'original' ? build.seed : build.default
  return table.recipe === id ? table : { ...table, recipe: id }
}

/** A growable Float64Array / Int32Array. */
class Growable<T extends Float64Array | Int32Array> {
  length = 0
  data: T
  private readonly make: (n: number) => T
  constructor(data: T, make: (n: number) => T) {
    this.data = data
    this.make = make
  }
  reserve(extra: number): void {
    const need = this.length + extra
    if (need <= this.data.length) return
    const next = this.make(Math.max(need, this.data.length * 2))
    next.set(this.data.subarray(0, this.length) as never)
    this.data = next
  }
  push(v: number): void {
    if (this.length === this.data.length) this.reserve(1)
    this.data[this.length++] = v
  }
  toArray(): T {
    return this.data.slice(0, this.length) as T
  }
}

/** A copy of `a` with at least `n` elements (doubling). */
function grow(a: Int32Array, n: number): Int32Array {
  const next = new Int32Array(Math.max(n, a.length * 2))
  next.set(a)
  return next
}

const newF64 = (n: number): Float64Array => new Float64Array(n)
const newI32 = (n: number): Int32Array => new Int32Array(n)

/** The pass shared by `buildFeatures` and `featurizeTransactions`. */
export class FeaturePass {
  readonly cleaner: StreamingCleaner
  private readonly recipes: readonly Recipe[]
  private readonly tables: Growable<Float64Array>[]
  private readonly customerIds: string[] = []
  private readonly stats = new CustomerStats()
  private active = false
  /** The cleaner's customerSerial of the current customer. */
  private customer = 0
  /** Customers started so far; stamps per product and invoice mark "counted for this customer". */
  private serial = 0
  private maxDay = Number.NEGATIVE_INFINITY

  // Products: the cleaner's stock code index, raw description counts, per-customer stamps.
  private readonly stockCodes: StockCodeIndex
  /** Per product, its raw descriptions and their row counts (usually one or two: linear search). */
  private readonly descriptionTexts: string[][] = []
  private readonly descriptionCounts: number[][] = []
  private stampAny = new Int32Array(1024)
  private stampPurchase = new Int32Array(1024)
  private readonly basketOffsets = new Growable(new Int32Array(1024), newI32)
  private readonly basketItems = new Growable(new Int32Array(16_384), newI32)

  // Countries: name -> index, per-customer counts and the indexes touched.
  private readonly countryIndex = new Map<string, number>()
  private readonly countryNames: string[] = []
  private countryCounts = new Int32Array(64)
  private readonly countriesTouched: number[] = []

  // Invoices by the cleaner's per-customer serial number: stamped when counted.
  private invoiceStamp: Int32Array = new Int32Array(1024)
  // Per-customer sets, cleared between customers, with the last value as a fast path (rows of a
  // day or a country are mostly consecutive).
  private readonly purchaseDaySet = new Set<number>()
  private lastPurchaseDay = Number.NaN
  private lastCountry: string | null = null
  private lastCountryIndex = -1
  private lastDate = Number.NaN
  private lastDay = Number.NaN
  private lastHour = 0
  private lastWeekday = 0
  private lastMonth = 0

  constructor(recipes: readonly Recipe[] = [RECIPES.original, RECIPES.default]) {
    this.recipes = recipes
    this.cleaner = new StreamingCleaner()
    this.stockCodes = this.cleaner.stockCodes
    this.tables = recipes.map(() => new Growable(new Float64Array(1024 * 16), newF64))
    this.basketOffsets.push(0)
  }

  /** Cleans one raw row and, if kept, adds it to its customer's statistics. */
  push(tx: Transaction): void {
    const cleaner = this.cleaner
    if (cleaner.check(tx) !== KEPT) return
    const s = this.stats
    if (!this.active || cleaner.customerSerial !== this.customer) this.startCustomer(tx.customerId as string)

    // Rows of an invoice share their timestamp: calendar fields are computed once per timestamp.
    const date = tx.invoiceDate
    if (date !== this.lastDate) {
      this.lastDate = date
      const d = dayOf(date)
      if (d !== this.lastDay) this.lastMonth = monthIndexOfDay(d)
      this.lastDay = d
      this.lastHour = hourOf(date)
      this.lastWeekday = weekdayOfDay(d)
    }
    const day = this.lastDay
    const hour = this.lastHour
    const weekday = this.lastWeekday
    const quantity = tx.quantity
    const spend = quantity * tx.unitPrice
    const cancelled = isCancellation(tx.invoiceNo)

    if (s.lines === 0) {
      s.firstRowDay = s.minDay = s.maxDay = day
    } else if (day < s.minDay) s.minDay = day
    else if (day > s.maxDay) s.maxDay = day
    s.lastRowDay = day
    s.lines++
    s.rowHours[hour]!++
    s.rowWeekdays[weekday]!++

    // Invoices: counted once, at their first row.
    const invoice = cleaner.lastInvoiceSerial
    if (invoice >= this.invoiceStamp.length) this.invoiceStamp = grow(this.invoiceStamp, invoice + 1)
    if (this.invoiceStamp[invoice] !== this.serial) {
      this.invoiceStamp[invoice] = this.serial
      s.invoices++
      s.invoiceHours[hour]!++
      s.invoiceWeekdays[weekday]!++
      if (cancelled) s.cancelInvoices++
      else {
        s.purchaseInvoiceHours[hour]!++
        s.purchaseInvoiceWeekdays[weekday]!++
      }
    }

    // Money and quantities (Neumaier-compensated sums).
    s.netQuantity += quantity
    let t = s.netSpend + spend
    s.netSpendComp += Math.abs(s.netSpend) >= Math.abs(spend) ? s.netSpend - t + spend : spend - t + s.netSpend
    s.netSpend = t
    s.addMonthSpend(this.lastMonth, spend)

    // Products.
    const p = cleaner.lastProduct
    if (p >= this.descriptionTexts.length) this.addProducts()
    const description = tx.description as string
    const texts = this.descriptionTexts[p]!
    let d = 0
    while (d < texts.length && texts[d] !== description) d++
    if (d === texts.length) {
      texts.push(description)
      this.descriptionCounts[p]!.push(1)
    } else this.descriptionCounts[p]![d]!++
    if (this.stampAny[p] !== this.serial) {
      this.stampAny[p] = this.serial
      s.uniqueProducts++
    }

    if (!cancelled) {
      t = s.purchaseSpend + spend
      s.purchaseSpendComp +=
        Math.abs(s.purchaseSpend) >= Math.abs(spend) ? s.purchaseSpend - t + spend : spend - t + s.purchaseSpend
      s.purchaseSpend = t
      if (this.stampPurchase[p] !== this.serial) {
        this.stampPurchase[p] = this.serial
        s.purchasedProducts++
        this.basketItems.push(p)
      }
      if (day !== this.lastPurchaseDay && !this.purchaseDaySet.has(day)) {
        this.lastPurchaseDay = day
        this.purchaseDaySet.add(day)
        if (s.purchaseDays === 0) s.firstPurchaseDay = s.lastPurchaseDay = day
        else if (day < s.firstPurchaseDay) s.firstPurchaseDay = day
        else if (day > s.lastPurchaseDay) s.lastPurchaseDay = day
        s.purchaseDays++
      }
    }

    // Country.
    const country = tx.country
    if (country !== null && country !== '') {
      let c = this.lastCountryIndex
      if (country !== this.lastCountry) {
        c = this.countryIndex.get(country) ?? this.addCountry(country)
        this.lastCountry = country
        this.lastCountryIndex = c
      }
      if (this.countryCounts[c] === 0) this.countriesTouched.push(c)
      this.countryCounts[c]!++
    }
  }

  /**
   * Ends the pass. `referenceDate` (epoch ms; its calendar day is used) defaults to the latest
   * cleaned invoice day seen. Returns one table per recipe, in constructor order.
   */
  finish(referenceDate?: number): { tables: FeatureTable[]; cleaning: CleaningReport; baskets: Baskets } {
    this.endCustomer()
    const cleaning = this.cleaner.report()
    const referenceDay =
      referenceDate === undefined ? (this.customerIds.length > 0 ? this.maxDay : Number.NaN) : dayOf(referenceDate)
    const rows = this.customerIds.length
    const tables = this.recipes.map((recipe, r): FeatureTable => {
      const values = this.tables[r]!.toArray()
      const width = recipe.featureNames.length
      for (let i = 0; i < rows; i++) recipe.resolve(values, i * width, referenceDay)
      return {
        recipe: recipe.name,
        recipeVersion: recipe.version,
        features: recipe.featureNames,
        customerIds: this.customerIds.slice(),
        values,
        referenceDate: referenceDay * DAY_MS,
      }
    })
    return { tables, cleaning, baskets: this.baskets() }
  }

  private startCustomer(id: string): void {
    this.endCustomer()
    this.active = true
    this.customer = this.cleaner.customerSerial
    this.serial++
    this.stats.reset(id)
    this.purchaseDaySet.clear()
    this.lastPurchaseDay = Number.NaN
  }

  private endCustomer(): void {
    if (!this.active) return
    this.active = false
    const s = this.stats
    // Main country: most rows, ties to the smaller name (pandas' mode()[0]).
    let best = -1
    for (const c of this.countriesTouched) {
      const n = this.countryCounts[c]!
      if (best < 0 || n > this.countryCounts[best]! || (n === this.countryCounts[best]! && this.countryNames[c]! < this.countryNames[best]!)) {
        best = c
      }
    }
    s.mainCountry = best < 0 ? null : this.countryNames[best]!
    for (const c of this.countriesTouched) this.countryCounts[c] = 0
    this.countriesTouched.length = 0
    if (s.maxDay > this.maxDay) this.maxDay = s.maxDay

    this.customerIds.push(s.customerId)
    for (let r = 0; r < this.recipes.length; r++) {
      const recipe = this.recipes[r]!
      const table = this.tables[r]!
      const width = recipe.featureNames.length
      table.reserve(width)
      recipe.write(s, table.data, table.length)
      table.length += width
    }
    const start = this.basketOffsets.data[this.basketOffsets.length - 1]!
    this.basketItems.data.subarray(start, this.basketItems.length).sort()
    this.basketOffsets.push(this.basketItems.length)
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

  private addCountry(country: string): number {
    const c = this.countryNames.length
    this.countryIndex.set(country, c)
    this.countryNames.push(country)
    if (c === this.countryCounts.length) {
      const counts = new Int32Array(c * 2)
      counts.set(this.countryCounts)
      this.countryCounts = counts
    }
    return c
  }

  private baskets(): Baskets {
    // Most frequent upper-cased description per product; raw variants that upper-case alike merge.
    this.addProducts()
    const descriptions = this.descriptionTexts.map((texts, p) => {
      const merged = new Map<string, number>()
      texts.forEach((raw, d) => {
        const upper = raw.toUpperCase()
        merged.set(upper, (merged.get(upper) ?? 0) + this.descriptionCounts[p]![d]!)
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
    })
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
    const items = this.basketItems.toArray()
    for (let j = 0; j < items.length; j++) items[j] = renumber[items[j]!]!
    return {
      customerIds: this.customerIds.slice(),
      stockCodes,
      descriptions: kept,
      offsets: this.basketOffsets.toArray(),
      items,
    }
  }
}

/**
 * Both recipes, the cleaning report and the baskets in one pass over `batches` (rows grouped by
 * customer, see above). The tables share the row order (customers in order of appearance) and
 * the reference date: the latest cleaned invoice day.
 */
export async function buildFeatures(
  batches: AsyncIterable<Transaction[]> | Iterable<Transaction[]>,
  options: { guestRows?: number } = {},
): Promise<BuildResult> {
  const pass = new FeaturePass([RECIPES.original, RECIPES.default])
  // Rows without a customer id that the caller did not send (cleaning rule 1 removes them anyway).
  if (options.guestRows) pass.cleaner.skipGuests(options.guestRows)
  if (Symbol.asyncIterator in batches) {
    for await (const batch of batches) for (let i = 0; i < batch.length; i++) pass.push(batch[i]!)
  } else {
    for (const batch of batches) for (let i = 0; i < batch.length; i++) pass.push(batch[i]!)
  }
  const { tables, cleaning, baskets } = pass.finish()
  return { seed: tables[0]!, default: tables[1]!, cleaning, baskets }
}

/**
 * Features of customers the service has not seen, cleaned and featurized exactly as in training,
 * as of `referenceDate` (epoch ms; its calendar day is used — pass the model's reference date, or
 * "today"; rows after it give negative day counts, they are not dropped). Rows may be in any
 * order across customers; a customer's rows are taken in the given order. Rows without a
 * customer id are dropped by cleaning, as in training. Returns one row per customer that survives
 * cleaning (none if nothing survives).
 */
export function featurizeTransactions(
  rows: readonly Transaction[],
  recipe: string,
  referenceDate: number,
): FeatureTable {
  const order = Array.from({ length: rows.length }, (_, i) => i)
  order.sort((a, b) => {
    const x = rows[a]!.customerId ?? ''
    const y = rows[b]!.customerId ?? ''
    return x < y ? -1 : x > y ? 1 : a - b
  })
  const pass = new FeaturePass([getRecipe(recipe)])
  for (const i of order) pass.push(rows[i]!)
  return pass.finish(referenceDate).tables[0]!
}
