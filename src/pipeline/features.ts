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

import { DAY_MS, dayOf } from './calendar.ts'
import { isCancellation, KEPT, StreamingCleaner } from './clean.ts'
import { CustomerAccumulator } from './customer-accumulator.ts'
import { CountryCounter } from './countries.ts'
import { BasketBuilder, NEW_PRODUCT, NEW_PURCHASE } from './basket-builder.ts'
import { RecipeTables } from './recipe-tables.ts'
import { getRecipe, RECIPES, type Recipe } from './recipes/index.ts'
import { recipeId } from './recipe-id.ts'
import type { Baskets, CleaningReport, FeatureTable, Transaction } from './types.ts'
import { PurchaseDayCollector, type PurchaseDays } from '../value/purchase-days.ts'

export interface BuildResult {
  /** The original recipe's table (read a recipe's table through recipeTable()). */
  original: FeatureTable
  default: FeatureTable
  cleaning: CleaningReport
  baskets: Baskets
  /**
   * Every customer's purchase days (value/purchase-days.ts), also those after asOf: the value
   * model's summary and its holdout. Absent in a build stored before the value model.
   */
  purchaseDays?: PurchaseDays
}

/**
 * The table of a recipe (id or alias). A table stored (datasets/features-store.ts) before
 * issue 13 may carry the recipe `seed`: the table returned carries the id.
 */
export function recipeTable(build: BuildResult, recipe: string): FeatureTable {
  const id = recipeId(recipe)
  const table = id === 'original' ? build.original : build.default
  return table.recipe === id ? table : { ...table, recipe: id }
}

/**
 * The pass shared by `buildFeatures` and `featurizeTransactions`, by concern: the cleaner
 * (clean.ts: which rows are kept, invoice and product numbering), the per-customer accumulators
 * (customer-accumulator.ts, countries.ts, basket-builder.ts) and the recipes' output
 * (recipe-tables.ts). It holds one customer's state at a time.
 */
export class FeaturePass {
  readonly cleaner = new StreamingCleaner()
  private readonly customer = new CustomerAccumulator()
  private readonly countries = new CountryCounter()
  private readonly products: BasketBuilder
  private readonly tables: RecipeTables
  private readonly customerIds: string[] = []
  /** The cleaner's customerSerial of the current customer, -1 before the first. */
  private current = -1
  private maxDay = Number.NEGATIVE_INFINITY
  readonly purchaseDays = new PurchaseDayCollector()
  /** Epoch ms of the day after asOf: rows from then on only feed the purchase days (the holdout). */
  private readonly afterAsOf: number

  /** `asOf` (epoch ms; its calendar day): the features see the rows up to that day only. */
  constructor(recipes: readonly Recipe[] = [RECIPES.original, RECIPES.default], asOf?: number) {
    this.products = new BasketBuilder(this.cleaner.stockCodes)
    this.tables = new RecipeTables(recipes)
    this.afterAsOf = asOf === undefined ? Number.POSITIVE_INFINITY : (dayOf(asOf) + 1) * DAY_MS
  }

  /** Cleans one raw row and, if kept, adds it to its customer's accumulators. */
  push(tx: Transaction): void {
    const cleaner = this.cleaner
    if (cleaner.check(tx) !== KEPT) return
    const cancelled = isCancellation(tx.invoiceNo)
    this.purchaseDays.add(tx.customerId as string, tx.invoiceDate, tx.quantity, tx.unitPrice, cancelled)
    if (tx.invoiceDate >= this.afterAsOf) return
    if (cleaner.customerSerial !== this.current) this.startCustomer(tx.customerId as string)
    this.customer.add(tx, cleaner.lastInvoiceSerial, cancelled)
    const seen = this.products.add(cleaner.lastProduct, tx.description as string, cancelled)
    const s = this.customer.stats
    if (seen & NEW_PRODUCT) s.uniqueProducts++
    if (seen & NEW_PURCHASE) s.purchasedProducts++
    this.countries.add(tx.country)
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
    return { tables: this.tables.finish(this.customerIds, referenceDay), cleaning, baskets: this.products.finish(this.customerIds) }
  }

  private startCustomer(id: string): void {
    this.endCustomer()
    this.current = this.cleaner.customerSerial
    this.customer.start(id)
    this.products.startCustomer()
  }

  private endCustomer(): void {
    if (this.current < 0) return
    this.current = -1
    const s = this.customer.stats
    s.mainCountry = this.countries.takeMain()
    if (s.maxDay > this.maxDay) this.maxDay = s.maxDay
    this.customerIds.push(s.customerId)
    this.tables.write(s)
    this.products.endCustomer()
  }
}

/**
 * Both recipes, the cleaning report, the baskets and the purchase days in one pass over `batches`
 * (rows grouped by customer, see above). The tables share the row order (customers in order of
 * appearance) and the reference date: the latest cleaned invoice day, or `asOf`. With `asOf` the
 * tables and baskets see the rows up to that day; the cleaning report counts every row.
 */
export async function buildFeatures(
  batches: AsyncIterable<Transaction[]> | Iterable<Transaction[]>,
  options: { guestRows?: number; asOf?: number } = {},
): Promise<BuildResult> {
  const pass = new FeaturePass([RECIPES.original, RECIPES.default], options.asOf)
  // Rows without a customer id that the caller did not send (cleaning rule 1 removes them anyway).
  if (options.guestRows) pass.cleaner.skipGuests(options.guestRows)
  if (Symbol.asyncIterator in batches) {
    for await (const batch of batches) for (let i = 0; i < batch.length; i++) pass.push(batch[i]!)
  } else {
    for (const batch of batches) for (let i = 0; i < batch.length; i++) pass.push(batch[i]!)
  }
  // With asOf, "today" for recency is asOf itself (the latest row up to asOf may be earlier).
  const { tables, cleaning, baskets } = pass.finish(options.asOf)
  return { original: tables[0]!, default: tables[1]!, cleaning, baskets, purchaseDays: pass.purchaseDays.finish() }
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
