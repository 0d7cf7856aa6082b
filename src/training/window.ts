// Rolling training windows (issue 16): `{months: N}` or `{days: N}` counted back from asOf.
// The window is the half-open span (asOf − N, asOf]: the N calendar months (or N days) that end
// with asOf, asOf included, the day N months (days) before asOf excluded. Months are subtracted
// as Postgres' `date - interval 'N months'` does (the day of the month kept, clamped to the
// target month's length), so asOf 2011-12-09 with 6 months keeps 2011-06-10 .. 2011-12-09,
// 2011-08-31 keeps 2011-03-01 .. 2011-08-31 (Feb 31 clamps to Feb 28) and 2011-09-30 keeps
// 2011-03-31 .. 2011-09-30. `{days: N}` is the N days ending with asOf.
// Pure day arithmetic on day numbers (days since 1970-01-01, src/pipeline/calendar.ts).
import { DAY_MS } from '../pipeline/calendar.ts'
import type { Transaction } from '../pipeline/types.ts'

/** Exactly one of the two, a positive integer within its bound (as POST /train's schema says). */
export interface WindowSpec {
  months?: number
  days?: number
}

/** Ten years: more than any retailer keeps online; a bound so a typo cannot mean "all of time". */
export const MAX_WINDOW_MONTHS = 120
export const MAX_WINDOW_DAYS = 3660

/** The reason a window is not valid, or null when it is. */
export function windowProblem(w: WindowSpec): string | null {
  const keys = Object.keys(w).filter((k) => (w as Record<string, unknown>)[k] !== undefined)
  if (keys.length !== 1 || !(keys[0] === 'months' || keys[0] === 'days')) return 'window must be {months: N} or {days: N}, exactly one of them'
  const [unit, max] = w.months !== undefined ? ['months', MAX_WINDOW_MONTHS] as const : ['days', MAX_WINDOW_DAYS] as const
  const n = w[unit]!
  if (!Number.isInteger(n) || n < 1 || n > max) return `window.${unit} must be an integer from 1 to ${max}`
  return null
}

const civil = (day: number) => {
  const d = new Date(day * DAY_MS)
  return { y: d.getUTCFullYear(), m: d.getUTCMonth(), d: d.getUTCDate() }
}

/** The window's first day (inclusive) for a window ending with `asOfDay` (inclusive). */
export function windowStartDay(asOfDay: number, w: WindowSpec): number {
  if (w.days !== undefined) return asOfDay - w.days + 1
  const { y, m, d } = civil(asOfDay)
  const months = y * 12 + m - w.months!
  const ty = Math.floor(months / 12)
  const tm = months - ty * 12
  const length = new Date(Date.UTC(ty, tm + 1, 0)).getUTCDate()
  // The excluded bound asOf − N months; the window starts the day after it.
  return Date.UTC(ty, tm, Math.min(d, length)) / DAY_MS + 1
}

export const isoDay = (day: number): string => new Date(day * DAY_MS).toISOString().slice(0, 10)

/** How a version shows its window: the request's spec and the days it covers, both inclusive. */
export interface WindowView extends WindowSpec {
  from: string
  to: string
}

export function windowView(w: WindowSpec, asOfDay: number): WindowView {
  return { ...w, from: isoDay(windowStartDay(asOfDay, w)), to: isoDay(asOfDay) }
}

/**
 * The rows invoiced on `fromDay` or later, batch by batch (training on transaction batches; the
 * database path filters in its SELECT instead, src/datasets/read.ts). Order is kept.
 */
export async function* rowsFrom(batches: AsyncIterable<Transaction[]> | Iterable<Transaction[]>, fromDay: number): AsyncIterable<Transaction[]> {
  const from = fromDay * DAY_MS
  for await (const batch of batches) {
    const kept = batch.filter((r) => r.invoiceDate >= from)
    if (kept.length > 0) yield kept
  }
}
