// Every customer's purchase days, collected in the feature pass (pipeline/features.ts) from the
// cleaned rows: one entry per (customer, calendar day) with at least one non-cancellation line,
// valued at that day's Σ quantity × price over those lines (summary.ts has the definitions).
// All days are kept, also those after asOf: the calibration summary reads the days up to asOf, the
// holdout evaluation the days after it. Compact (UCI: ~19k days for ~4.3k customers), so it is
// stored with a dataset's features and needs no re-read of the transactions.
//
// `customerSummaries` is the one entry from purchase days to the models' summaries, so that the
// source can change (e.g. to the per-(customer, day) aggregates of src/aggregates/) without
// touching the models.
import { dayOf } from '../pipeline/calendar.ts'
import { summarizeCustomer, type CustomerSummary, type NoValueReason, type PurchaseDay } from './summary.ts'

export interface PurchaseDays {
  /** Customers in order of appearance (their rows are consecutive in the pass). */
  customerIds: string[]
  /** Customer i's days are [offsets[i], offsets[i + 1]), ascending by day. */
  offsets: Int32Array
  days: Int32Array
  values: Float64Array
}

/** Accumulates the purchase days of customers whose rows arrive consecutively. */
export class PurchaseDayCollector {
  private readonly ids: string[] = []
  private readonly offsets: number[] = [0]
  private days: number[] = []
  private values: number[] = []
  private current: string | null = null
  private readonly byDay = new Map<number, number>()
  private lastDate = Number.NaN
  private lastDay = 0

  /** One kept row of the cleaned data (cancellations are ignored: never a purchase). */
  add(customerId: string, invoiceDate: number, quantity: number, price: number, cancelled: boolean): void {
    if (customerId !== this.current) this.switchTo(customerId)
    if (cancelled) return
    if (invoiceDate !== this.lastDate) {
      this.lastDate = invoiceDate
      this.lastDay = dayOf(invoiceDate)
    }
    this.byDay.set(this.lastDay, (this.byDay.get(this.lastDay) ?? 0) + quantity * price)
  }

  finish(): PurchaseDays {
    this.flush()
    return { customerIds: this.ids, offsets: Int32Array.from(this.offsets), days: Int32Array.from(this.days), values: Float64Array.from(this.values) }
  }

  private switchTo(id: string): void {
    this.flush()
    this.current = id
    this.ids.push(id)
  }

  private flush(): void {
    if (this.current === null) return
    for (const [day, value] of [...this.byDay].sort((p, q) => p[0] - q[0])) {
      this.days.push(day)
      this.values.push(value)
    }
    this.offsets.push(this.days.length)
    this.byDay.clear()
    this.current = null
  }
}

/** Customer i's purchase days. */
export function daysOf(p: PurchaseDays, i: number): PurchaseDay[] {
  const out: PurchaseDay[] = []
  for (let j = p.offsets[i]!; j < p.offsets[i + 1]!; j++) out.push({ day: p.days[j]!, value: p.values[j]! })
  return out
}

export interface CustomerSummaryRow {
  customerId: string
  summary: CustomerSummary | null
  reason: NoValueReason | null
  /** Purchase days and their value in (asOf, asOf + holdoutDays]; zero without a holdout. */
  holdout: { purchases: number; value: number }
}

/**
 * The calibration summary as of `asOfDay` (a day number, inclusive) of each customer of
 * `customerIds` (default: every customer with purchase days), with the holdout actuals in
 * (asOfDay, asOfDay + holdoutDays]. A pure function of the purchase days.
 */
export function customerSummaries(p: PurchaseDays, asOfDay: number, holdoutDays = 0, customerIds: readonly string[] = p.customerIds): CustomerSummaryRow[] {
  const index = new Map<string, number>()
  p.customerIds.forEach((id, i) => index.set(id, i))
  return customerIds.map((customerId) => {
    const i = index.get(customerId)
    if (i === undefined) return { customerId, summary: null, reason: 'no-purchase-days', holdout: { purchases: 0, value: 0 } }
    const days = daysOf(p, i)
    const s = summarizeCustomer(days, asOfDay)
    const holdout = { purchases: 0, value: 0 }
    for (const d of days) {
      if (d.day > asOfDay && d.day <= asOfDay + holdoutDays) {
        holdout.purchases++
        holdout.value += d.value
      }
    }
    return s.ok ? { customerId, summary: s.summary, reason: null, holdout } : { customerId, summary: null, reason: s.reason, holdout }
  })
}
