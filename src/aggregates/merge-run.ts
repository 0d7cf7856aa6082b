// What the merge of one customer gathers while it walks the customer's day partials (merger.ts
// drives it; the products, which need the merger's numbering, stay there): the cleaning counts,
// the recipes' CustomerStats, the invoices, the countries and the purchase days. One per
// customer, its state in fields so that the walk has no closures.
import { monthIndexOfDay, weekdayOfDay } from '../pipeline/calendar.ts'
import { isCancellation } from '../pipeline/clean.ts'
import type { CustomerStats } from '../pipeline/customer-stats.ts'
import type { CustomerPartial, DayPartial } from './types.ts'

export class CustomerRun {
  readonly s: CustomerStats
  readonly removed = [0, 0, 0, 0, 0, 0]
  rowsIn = 0
  stage = 0
  /** Products touched, as indexes into the merger's codes, in order of first appearance. */
  readonly products: number[] = []
  private firstKey = Infinity
  private lastKey = -Infinity
  /** Invoice number -> [order key of its first row, its hour, its day]. */
  private readonly invoices = new Map<string, [number, number, number]>()
  // The one country seen so far, until a second one makes a map of them.
  private countries: Map<string, number> | null = null
  private country: string | null = null
  private countryRows = 0
  // Purchase days: appended while one dataset's days come in ascending order, a map from the
  // second dataset on (days may repeat or come out of order).
  private purchases: Map<number, number> | null = null
  private readonly purchaseDays: number[] = []
  private readonly purchaseValues: number[] = []
  // Kahan-style compensations of the two spend sums.
  private netComp = 0
  private purchaseComp = 0

  constructor(s: CustomerStats) {
    this.s = s
  }

  /** Called before the second dataset's days: purchase days from now on go through a map. */
  keyPurchasesByDay(): void {
    const purchases = new Map<number, number>()
    for (let i = 0; i < this.purchaseDays.length; i++) purchases.set(this.purchaseDays[i]!, this.purchaseValues[i]!)
    this.purchases = purchases
  }

  /** The day's raw rows and the rows each cleaning rule removed. */
  countRows(d: DayPartial): void {
    let raw = d.lines
    for (let r = 0; r < 6; r++) {
      raw += d.removed[r]!
      this.removed[r]! += d.removed[r]!
    }
    this.rowsIn += raw
    if (d.stage > this.stage) this.stage = d.stage
  }

  /** A day with cleaned lines, of the dataset with rank offset `base`. */
  addDay(d: DayPartial, p: CustomerPartial, base: number): void {
    const s = this.s
    const day = d.day
    if (s.lines === 0) s.minDay = s.maxDay = day
    else if (day < s.minDay) s.minDay = day
    else if (day > s.maxDay) s.maxDay = day
    s.lines += d.lines
    if (base + d.firstSeq < this.firstKey) {
      this.firstKey = base + d.firstSeq
      s.firstRowDay = day
    }
    if (base + d.lastSeq > this.lastKey) {
      this.lastKey = base + d.lastSeq
      s.lastRowDay = day
    }
    for (let i = 0; i < d.hours.length; i += 2) s.rowHours[d.hours[i]!]! += d.hours[i + 1]!
    s.rowWeekdays[weekdayOfDay(day)]! += d.lines
    this.addInvoices(d, p, base)
    this.addSpend(d)
    this.addCountries(d, p)
  }

  /** Each invoice keeps the hour and day of its first row in (dataset, file) order. */
  private addInvoices(d: DayPartial, p: CustomerPartial, base: number): void {
    const inv = d.invoices
    for (let i = 0; i < inv.length; i += 3) {
      const no = p.invoices[inv[i]!]!
      const key = base + inv[i + 1]!
      const known = this.invoices.get(no)
      if (known === undefined) this.invoices.set(no, [key, inv[i + 2]!, d.day])
      else if (key < known[0]) {
        known[0] = key
        known[1] = inv[i + 2]!
        known[2] = d.day
      }
    }
  }

  private addSpend(d: DayPartial): void {
    const s = this.s
    const day = d.day
    s.netQuantity += d.quantity
    let t = s.netSpend + d.netSpend
    this.netComp += Math.abs(s.netSpend) >= Math.abs(d.netSpend) ? s.netSpend - t + d.netSpend : d.netSpend - t + s.netSpend
    s.netSpend = t
    s.addMonthSpend(monthIndexOfDay(day), d.netSpend)
    if (d.purchaseLines === 0) return
    t = s.purchaseSpend + d.purchaseSpend
    this.purchaseComp +=
      Math.abs(s.purchaseSpend) >= Math.abs(d.purchaseSpend) ? s.purchaseSpend - t + d.purchaseSpend : d.purchaseSpend - t + s.purchaseSpend
    s.purchaseSpend = t
    const value = d.purchaseValue ?? d.purchaseSpend
    if (this.purchases === null) {
      this.purchaseDays.push(day)
      this.purchaseValues.push(value)
    } else this.purchases.set(day, (this.purchases.get(day) ?? 0) + value)
  }

  private addCountries(d: DayPartial, p: CustomerPartial): void {
    const cs = d.countries
    for (let i = 0; i < cs.length; i += 2) {
      const name = p.dictionary.countries[cs[i]!]!
      if (this.countries === null) {
        if (this.country === null || this.country === name) {
          this.country = name
          this.countryRows += cs[i + 1]!
          continue
        }
        this.countries = new Map([[this.country, this.countryRows]])
      }
      this.countries.set(name, (this.countries.get(name) ?? 0) + cs[i + 1]!)
    }
  }

  /** Writes what only the whole walk knows into the stats: invoices, main country, purchase days. */
  finish(): { purchaseDays: number[]; purchaseValues: number[] } {
    const s = this.s
    s.netSpendComp = this.netComp
    s.purchaseSpendComp = this.purchaseComp
    for (const [no, [, hour, day]] of this.invoices) {
      const weekday = weekdayOfDay(day)
      s.invoices++
      s.invoiceHours[hour]!++
      s.invoiceWeekdays[weekday]!++
      if (isCancellation(no)) s.cancelInvoices++
      else {
        s.purchaseInvoiceHours[hour]!++
        s.purchaseInvoiceWeekdays[weekday]!++
      }
    }
    s.mainCountry = this.mainCountry()
    let days = this.purchaseDays
    let values = this.purchaseValues
    const purchases = this.purchases
    if (purchases !== null) {
      days = [...purchases.keys()].sort((a, b) => a - b)
      values = days.map((d) => purchases.get(d)!)
    }
    s.purchaseDays = days.length
    if (days.length > 0) {
      s.firstPurchaseDay = days[0]!
      s.lastPurchaseDay = days[days.length - 1]!
    }
    return { purchaseDays: days, purchaseValues: values }
  }

  /** The country with the most rows, ties to the smaller name. */
  private mainCountry(): string | null {
    if (this.countries === null) return this.country
    let best: string | null = null
    let bestN = -1
    for (const [name, n] of this.countries) {
      if (n > bestN || (n === bestN && name < best!)) {
        best = name
        bestN = n
      }
    }
    return best
  }
}
