// The customer summary of the buy-till-you-die models, exactly as Fader, Hardie & Lee (2005)
// define it. A purchase is a distinct calendar day with at least one non-cancellation line of the
// cleaned data; its value is that day's Σ quantity × price over those lines. Per customer:
//   x  = purchase days − 1 (repeat purchases),
//   tx = days from the first to the last purchase day (0 when x = 0),
//   T  = days from the first purchase day to asOf,
//   meanRepeatValue = mean value of the purchase days after the first (null when x = 0).
// Days after asOf are not part of the calibration period and are ignored here (holdout.ts reads them).

/** One purchase day: a calendar day number (calendar.ts) and the day's Σ quantity × price. */
export interface PurchaseDay {
  day: number
  value: number
}

/** A cleaned transaction line, as far as the summary needs it. */
export interface SummaryLine {
  day: number
  quantity: number
  price: number
  /** A cancellation line (invoice starting with "C"); never a purchase. */
  cancelled: boolean
}

export interface CustomerSummary {
  x: number
  tx: number
  T: number
  meanRepeatValue: number | null
  /** Purchase days up to asOf (x + 1). */
  purchases: number
  firstDay: number
  lastDay: number
  /** Σ value over all purchase days up to asOf (first included). */
  totalValue: number
}

/** Why a customer has no value summary. */
export type NoValueReason = 'no-purchase-days' | 'first-purchase-after-as-of'

export type SummaryResult = { ok: true; summary: CustomerSummary } | { ok: false; reason: NoValueReason }

/**
 * The purchase days of one customer's cleaned lines: non-cancellation lines grouped by day, value
 * Σ quantity × price; ascending by day.
 */
export function purchaseDaysFromLines(lines: Iterable<SummaryLine>): PurchaseDay[] {
  const byDay = new Map<number, number>()
  for (const l of lines) {
    if (l.cancelled) continue
    byDay.set(l.day, (byDay.get(l.day) ?? 0) + l.quantity * l.price)
  }
  return [...byDay].sort((p, q) => p[0] - q[0]).map(([day, value]) => ({ day, value }))
}

/**
 * The summary as of `asOf` (a day number, inclusive). `days` need not be sorted; entries of the
 * same day are merged (their values added), so the input may be per line or per invoice too.
 */
export function summarizeCustomer(days: ReadonlyArray<PurchaseDay>, asOf: number): SummaryResult {
  if (days.length === 0) return { ok: false, reason: 'no-purchase-days' }
  const byDay = new Map<number, number>()
  for (const d of days) {
    if (!Number.isInteger(d.day)) throw new RangeError(`purchase day ${d.day} is not an integer day number`)
    if (d.day > asOf) continue
    byDay.set(d.day, (byDay.get(d.day) ?? 0) + d.value)
  }
  if (byDay.size === 0) return { ok: false, reason: 'first-purchase-after-as-of' }
  const sorted = [...byDay].sort((p, q) => p[0] - q[0])
  const firstDay = sorted[0]![0]
  const lastDay = sorted[sorted.length - 1]![0]
  let total = 0
  let repeat = 0
  for (let i = 0; i < sorted.length; i++) {
    total += sorted[i]![1]
    if (i > 0) repeat += sorted[i]![1]
  }
  const x = sorted.length - 1
  return {
    ok: true,
    summary: {
      x,
      tx: lastDay - firstDay,
      T: asOf - firstDay,
      meanRepeatValue: x > 0 ? repeat / x : null,
      purchases: sorted.length,
      firstDay,
      lastDay,
      totalValue: total,
    },
  }
}
