// Calendar arithmetic on the pipeline's timestamps: epoch milliseconds of a wall-clock time read as
// UTC (see Transaction.invoiceDate). Plain integer arithmetic, no Date objects in hot loops.

export const DAY_MS = 86_400_000
const HOUR_MS = 3_600_000

/** Calendar day number (days since 1970-01-01) of a timestamp. */
export function dayOf(ms: number): number {
  return Math.floor(ms / DAY_MS)
}

/** Hour of the day, 0..23. */
export function hourOf(ms: number): number {
  return Math.floor((ms - Math.floor(ms / DAY_MS) * DAY_MS) / HOUR_MS)
}

/** Weekday of a day number, Monday = 0 .. Sunday = 6 (pandas' dayofweek). 1970-01-01 was a Thursday. */
export function weekdayOfDay(day: number): number {
  return (((day + 3) % 7) + 7) % 7
}

/**
 * Month index year * 12 + (month - 1) of a day number: increasing with time, consecutive for
 * consecutive months. Howard Hinnant's civil_from_days.
 */
export function monthIndexOfDay(day: number): number {
  const z = day + 719_468
  const era = Math.floor(z / 146_097)
  const doe = z - era * 146_097
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365)
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100))
  const mp = Math.floor((5 * doy + 2) / 153)
  const month = mp < 10 ? mp + 3 : mp - 9
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0)
  return year * 12 + month - 1
}
