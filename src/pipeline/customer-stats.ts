// Running statistics of one customer's cleaned rows, from which every recipe computes its row.
// Filled row by row by the feature pass (features.ts), reset between customers: the rows
// themselves are never kept. Days are calendar day numbers (calendar.ts).

export class CustomerStats {
  customerId = ''
  /** Cleaned rows (line items), cancellations included. */
  lines = 0
  /** Days of the first and the last row in input (file) order. */
  firstRowDay = 0
  lastRowDay = 0
  /** Earliest and latest day of any row. */
  minDay = 0
  maxDay = 0

  /** Distinct invoice numbers, and those of them that are cancellations. */
  invoices = 0
  cancelInvoices = 0
  /** Sum of Quantity over all rows (net). */
  netQuantity = 0
  /** Sum of Quantity x UnitPrice over all rows (net), Neumaier-compensated: value = sum + comp. */
  netSpend = 0
  netSpendComp = 0
  /** The same over purchase (non-cancelled) rows. */
  purchaseSpend = 0
  purchaseSpendComp = 0
  /** Distinct stock codes over all rows, and over purchase rows. */
  uniqueProducts = 0
  purchasedProducts = 0

  /** Rows per hour of day and per weekday (Mon = 0). */
  readonly rowHours = new Int32Array(24)
  readonly rowWeekdays = new Int32Array(7)
  /** Distinct invoices per hour and weekday of the invoice (first row seen): all, and purchases. */
  readonly invoiceHours = new Int32Array(24)
  readonly invoiceWeekdays = new Int32Array(7)
  readonly purchaseInvoiceHours = new Int32Array(24)
  readonly purchaseInvoiceWeekdays = new Int32Array(7)

  /** Most frequent country by rows (ties to the smaller name), null when none is known. */
  mainCountry: string | null = null

  /** Active months: month index (calendar.ts) and compensated net spend, unordered. */
  months = 0
  monthKeys = new Int32Array(16)
  monthSums = new Float64Array(16)
  monthComps = new Float64Array(16)

  /** Distinct days with a purchase row, and the first and last of them. */
  purchaseDays = 0
  firstPurchaseDay = 0
  lastPurchaseDay = 0

  get purchaseInvoices(): number {
    return this.invoices - this.cancelInvoices
  }

  reset(customerId: string): void {
    this.customerId = customerId
    this.lines = 0
    this.firstRowDay = this.lastRowDay = this.minDay = this.maxDay = 0
    this.invoices = this.cancelInvoices = 0
    this.netQuantity = 0
    this.netSpend = this.netSpendComp = this.purchaseSpend = this.purchaseSpendComp = 0
    this.uniqueProducts = this.purchasedProducts = 0
    this.rowHours.fill(0)
    this.rowWeekdays.fill(0)
    this.invoiceHours.fill(0)
    this.invoiceWeekdays.fill(0)
    this.purchaseInvoiceHours.fill(0)
    this.purchaseInvoiceWeekdays.fill(0)
    this.mainCountry = null
    this.months = 0
    this.purchaseDays = this.firstPurchaseDay = this.lastPurchaseDay = 0
  }

  /** Adds `spend` to the month `key`. */
  addMonthSpend(key: number, spend: number): void {
    let m = this.months - 1
    // Rows mostly come in time order: try the latest month first.
    if (m < 0 || this.monthKeys[m] !== key) {
      m = 0
      while (m < this.months && this.monthKeys[m] !== key) m++
      if (m === this.months) {
        if (m === this.monthKeys.length) this.growMonths()
        this.monthKeys[m] = key
        this.monthSums[m] = 0
        this.monthComps[m] = 0
        this.months++
      }
    }
    const s = this.monthSums[m]!
    const t = s + spend
    this.monthComps[m]! += Math.abs(s) >= Math.abs(spend) ? s - t + spend : spend - t + s
    this.monthSums[m] = t
  }

  /** Net spend per active month, in ascending month order. */
  monthlySpend(): Float64Array {
    const n = this.months
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => this.monthKeys[a]! - this.monthKeys[b]!)
    const out = new Float64Array(n)
    for (let i = 0; i < n; i++) out[i] = this.monthSums[order[i]!]! + this.monthComps[order[i]!]!
    return out
  }

  private growMonths(): void {
    const size = this.monthKeys.length * 2
    const keys = new Int32Array(size)
    keys.set(this.monthKeys)
    const sums = new Float64Array(size)
    sums.set(this.monthSums)
    const comps = new Float64Array(size)
    comps.set(this.monthComps)
    this.monthKeys = keys
    this.monthSums = sums
    this.monthComps = comps
  }
}

/** Index of the largest count; ties to the smaller index. */
export function argMax(counts: Int32Array): number {
  let best = 0
  for (let i = 1; i < counts.length; i++) if (counts[i]! > counts[best]!) best = i
  return best
}
