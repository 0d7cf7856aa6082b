// The feature pass's per-customer accumulators: one customer's cleaned rows folded into its
// running statistics (customer-stats.ts) as they arrive: calendar fields, line and invoice
// counts, money, purchase days. Products and countries have their own accumulators
// (basket-builder.ts, countries.ts); the cleaner (clean.ts) says which rows are kept.
import { dayOf, hourOf, monthIndexOfDay, weekdayOfDay } from './calendar.ts'
import { CustomerStats } from './customer-stats.ts'
import { grow } from './growable.ts'
import type { Transaction } from './types.ts'

export class CustomerAccumulator {
  readonly stats = new CustomerStats()
  /** Customers started so far: an invoice stamped with it was counted for this customer. */
  private serial = 0
  /** Per invoice (the cleaner's per-customer serial number): the customer serial that counted it. */
  private invoiceStamp: Int32Array = new Int32Array(1024)
  /** Purchase days seen, with the last one as a fast path (a day's rows are mostly consecutive). */
  private readonly purchaseDaySet = new Set<number>()
  private lastPurchaseDay = Number.NaN
  // Calendar fields of the last timestamp (an invoice's rows share it).
  private lastDate = Number.NaN
  private lastDay = Number.NaN
  private lastHour = 0
  private lastWeekday = 0
  private lastMonth = 0

  start(customerId: string): void {
    this.serial++
    this.stats.reset(customerId)
    this.purchaseDaySet.clear()
    this.lastPurchaseDay = Number.NaN
  }

  /** Adds one kept row; `invoice` is the cleaner's serial number of its invoice. */
  add(tx: Transaction, invoice: number, cancelled: boolean): void {
    const s = this.stats
    const date = tx.invoiceDate
    if (date !== this.lastDate) this.setDate(date)
    const day = this.lastDay
    const hour = this.lastHour
    const weekday = this.lastWeekday
    const quantity = tx.quantity
    const spend = quantity * tx.unitPrice

    if (s.lines === 0) {
      s.firstRowDay = s.minDay = s.maxDay = day
    } else if (day < s.minDay) s.minDay = day
    else if (day > s.maxDay) s.maxDay = day
    s.lastRowDay = day
    s.lines++
    s.rowHours[hour]!++
    s.rowWeekdays[weekday]!++

    // Invoices: counted once, at their first row.
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
    const t = s.netSpend + spend
    s.netSpendComp += Math.abs(s.netSpend) >= Math.abs(spend) ? s.netSpend - t + spend : spend - t + s.netSpend
    s.netSpend = t
    s.addMonthSpend(this.lastMonth, spend)
    if (!cancelled) this.addPurchase(day, spend)
  }

  private setDate(date: number): void {
    this.lastDate = date
    const d = dayOf(date)
    if (d !== this.lastDay) this.lastMonth = monthIndexOfDay(d)
    this.lastDay = d
    this.lastHour = hourOf(date)
    this.lastWeekday = weekdayOfDay(d)
  }

  private addPurchase(day: number, spend: number): void {
    const s = this.stats
    const t = s.purchaseSpend + spend
    s.purchaseSpendComp += Math.abs(s.purchaseSpend) >= Math.abs(spend) ? s.purchaseSpend - t + spend : spend - t + s.purchaseSpend
    s.purchaseSpend = t
    if (day !== this.lastPurchaseDay && !this.purchaseDaySet.has(day)) {
      this.lastPurchaseDay = day
      this.purchaseDaySet.add(day)
      if (s.purchaseDays === 0) s.firstPurchaseDay = s.lastPurchaseDay = day
      else if (day < s.firstPurchaseDay) s.firstPurchaseDay = day
      else if (day > s.lastPurchaseDay) s.lastPurchaseDay = day
      s.purchaseDays++
    }
  }
}
