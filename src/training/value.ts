// The value step of a training: which days are calibration and holdout (valueWindow), and the
// value model on the build's purchase days (trainValue, src/value/model.ts). A rolling window
// (src/training/window.ts) is counted back from the resolved asOf.
import { columnIndex } from '../pipeline/train-types.ts'
import { dayOf } from '../pipeline/calendar.ts'
import { recipeTable, type BuildResult } from '../pipeline/features.ts'
import { fitValueModel, type ValueResult } from '../value/model.ts'
import type { ValueParams } from './params.ts'
import { windowStartDay, type WindowSpec } from './window.ts'

export interface ValueWindow {
  /** Day number of the data's last cleaned invoice day. */
  lastDay: number
  /** Day number of asOf: the calibration period ends there (inclusive). */
  asOfDay: number
  /** The holdout is (asOfDay, asOfDay + holdoutDays]; 0: none. */
  holdoutDays: number
  /** With a rolling window (src/training/window.ts): its first day; rows before it are not read. */
  fromDay?: number
  /** The window as the request gave it (with fromDay). */
  spec?: WindowSpec
}

/** Raised for a window the data cannot fill (src/training/train.ts maps it to TooLittleData). */
export class InvalidWindow extends RangeError {
  override name = 'InvalidWindow'
}

/**
 * asOf defaults to the data's last invoice day less holdoutDays; the holdout defaults to the days
 * from asOf to the data's end. A holdout past the data's end is refused (its days would count as
 * "no purchase").
 */
export function valueWindow(build: BuildResult, params: ValueParams): ValueWindow {
  const lastDay = lastDayOf(build)
  const asOfDay = params.asOf !== undefined ? dayOf(Date.parse(`${params.asOf}T00:00:00Z`)) : lastDay - (params.holdoutDays ?? 0)
  const holdoutDays = params.holdoutDays ?? Math.max(0, lastDay - asOfDay)
  if (holdoutDays > 0 && asOfDay + holdoutDays > lastDay) {
    throw new InvalidWindow(`the holdout (asOf + ${holdoutDays} days) ends after the data's last invoice day ${new Date(lastDay * 86_400_000).toISOString().slice(0, 10)}`)
  }
  if (params.window === undefined) return { lastDay, asOfDay, holdoutDays }
  return { lastDay, asOfDay, holdoutDays, fromDay: windowStartDay(asOfDay, params.window), spec: params.window }
}

/**
 * The data's last day: the later of the last purchase day (the purchase days include the days
 * after asOf) and the table's reference date (the latest cleaned invoice day, or asOf).
 */
function lastDayOf(build: BuildResult): number {
  const p = build.purchaseDays
  let last = dayOf(build.default.referenceDate)
  if (p) for (let i = 0; i < p.days.length; i++) if (p.days[i]! > last) last = p.days[i]!
  return last
}

/** The value model of the build's customers (the feature table's rows), or null without purchase days. */
export function trainValue(build: BuildResult, window: ValueWindow): ValueResult | null {
  if (!build.purchaseDays) return null
  const table = recipeTable(build, 'original')
  const n = table.customerIds.length
  const p = table.features.length
  const col = (name: string) => {
    const j = columnIndex(table, name)
    const out = new Float64Array(n)
    for (let i = 0; i < n; i++) out[i] = table.values[i * p + j]!
    return out
  }
  return fitValueModel({
    purchaseDays: build.purchaseDays,
    customerIds: table.customerIds,
    rfm: { recencyDays: col('Days_Since_Last_Purchase'), frequency: col('Total_Transactions'), monetary: col('Total_Spend') },
    asOfDay: window.asOfDay,
    holdoutDays: window.holdoutDays,
  })
}
