// A customer's spend sums exactly as buildFeatures adds them, kept beside the day partials so that
// a training on one dataset stays bit-identical to the stored build it replaces (docs/decisions.md,
// "Training merges the stored aggregates"). buildFeatures runs one Neumaier sum over the
// customer's cleaned rows in file order; a merge adds the days' already-rounded sums, which
// differs in the last bits for about one customer in four (1,024 of 4,372 in the full file). The builder (build.ts) runs the row sums
// too, and a customer whose row sums differ from the day sums keeps them (`CustomerPartial.exact`):
// a merge that takes every cleaned day of the customer from one partial uses them (merger.ts).
import { monthIndexOfDay } from '../pipeline/calendar.ts'
import type { DayPartial, ExactSpend } from './types.ts'

/** One Neumaier step on a [sum, compensation] pair at `i`, as CustomerAccumulator does it. */
function add(pair: number[], i: number, x: number): void {
  const s = pair[i]!
  const t = s + x
  pair[i + 1]! += Math.abs(s) >= Math.abs(x) ? s - t + x : x - t + s
  pair[i] = t
}

/** The row sums of one customer: net, purchases, and per month (in order of first appearance). */
export class SpendSums {
  private readonly sums = [0, 0, 0, 0]
  private readonly monthKeys: number[] = []
  private readonly months: number[] = []
  private lastDay = Number.NaN
  private lastMonth = 0

  /** One cleaned row of the customer, in file order. */
  add(day: number, spend: number, cancelled: boolean): void {
    add(this.sums, 0, spend)
    if (!cancelled) add(this.sums, 2, spend)
    if (day !== this.lastDay) {
      this.lastDay = day
      const key = monthIndexOfDay(day)
      let m = this.monthKeys.indexOf(key)
      if (m < 0) {
        m = this.monthKeys.length
        this.monthKeys.push(key)
        this.months.push(0, 0)
      }
      this.lastMonth = m
    }
    add(this.months, 2 * this.lastMonth, spend)
  }

  /** The row sums, or undefined when the merge's sums over `days` (ascending) give the same doubles. */
  result(days: readonly DayPartial[]): ExactSpend | undefined {
    const byDays = [0, 0, 0, 0]
    const months: number[] = new Array(this.months.length).fill(0)
    for (const d of days) {
      if (d.lines === 0) continue
      add(byDays, 0, d.netSpend)
      if (d.purchaseLines > 0) add(byDays, 2, d.purchaseSpend)
      add(months, 2 * this.monthKeys.indexOf(monthIndexOfDay(d.day)), d.netSpend)
    }
    const exact: ExactSpend = { net: this.sums[0]! + this.sums[1]!, purchase: this.sums[2]! + this.sums[3]!, months: [] }
    let same = Object.is(exact.net, byDays[0]! + byDays[1]!) && Object.is(exact.purchase, byDays[2]! + byDays[3]!)
    const order = this.monthKeys.map((_, m) => m).sort((a, b) => this.monthKeys[a]! - this.monthKeys[b]!)
    for (const m of order) {
      const value = this.months[2 * m]! + this.months[2 * m + 1]!
      exact.months.push(this.monthKeys[m]!, value)
      if (!Object.is(value, months[2 * m]! + months[2 * m + 1]!)) same = false
    }
    return same ? undefined : exact
  }
}

interface Out {
  varint(n: number): void
  zigzag(n: number): void
  f64(x: number): void
}
interface In {
  varint(): number
  zigzag(): number
  f64(): number
}

/** Codec version 2 (codec.ts): varint 0, or 1 then f64 net, f64 purchase, varint months, (zigzag month, f64). */
export function writeExact(w: Out, exact: ExactSpend | undefined): void {
  if (exact === undefined) return w.varint(0)
  w.varint(1)
  w.f64(exact.net)
  w.f64(exact.purchase)
  w.varint(exact.months.length / 2)
  for (let i = 0; i < exact.months.length; i += 2) {
    w.zigzag(exact.months[i]!)
    w.f64(exact.months[i + 1]!)
  }
}

export function readExact(r: In): ExactSpend | undefined {
  if (r.varint() === 0) return undefined
  const exact: ExactSpend = { net: r.f64(), purchase: r.f64(), months: new Array(r.varint() * 2) }
  for (let i = 0; i < exact.months.length; i += 2) {
    exact.months[i] = r.zigzag()
    exact.months[i + 1] = r.f64()
  }
  return exact
}
