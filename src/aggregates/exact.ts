// A customer's spend sums exactly as buildFeatures adds them, kept beside the day partials so that
// a training on one dataset stays bit-identical to the stored build it replaces (docs/decisions.md,
// "Training merges the stored aggregates"). buildFeatures runs one Neumaier sum over the
// customer's cleaned rows in file order; a merge adds the days' already-rounded sums, which
// differs in the last bits for about one customer in four (1,024 of 4,372 in the full file). The builder (build.ts) runs the row sums
// too, and a customer whose row sums differ from the day sums keeps them (`CustomerPartial.exact`):
// a merge that takes every cleaned day of the customer from one partial uses them (merger.ts).
import { monthIndexOfDay } from '../pipeline/calendar.ts'
import { grow, growF64 } from '../pipeline/growable.ts'
import type { DayPartial, ExactSpend } from './types.ts'

/** One Neumaier step on a [sum, compensation] pair at `i`, as CustomerAccumulator does it. */
function add(pair: Float64Array | number[], i: number, x: number): void {
  const s = pair[i]!
  const t = s + x
  pair[i + 1]! += Math.abs(s) >= Math.abs(x) ? s - t + x : x - t + s
  pair[i] = t
}

/**
 * The row sums of every customer of one build: net, purchases, and per month. In typed columns
 * indexed by the customer's number, not one object per customer: at ten times the UCI file the
 * per-customer objects and their small arrays took 23 MB of the upload thread's heap, the columns
 * take 9.0 MiB (docs/benchmarks.md, "Upload thread memory").
 */
export class SpendTable {
  /** Per customer c at 4c: net sum, its compensation, purchase sum, its compensation. */
  private sums: Float64Array = new Float64Array(4 * 1024)
  /** Per customer: its first month entry (-1: none), the last day seen (NaN: none) and that day's entry. */
  private head: Int32Array = new Int32Array(1024)
  private lastDay: Float64Array = new Float64Array(1024)
  private lastEntry: Int32Array = new Int32Array(1024)
  private customers = 0
  /** Month entries, linked per customer: month index, next entry (-1: none); sum and compensation at 2e. */
  private keys: Int32Array = new Int32Array(1024)
  private next: Int32Array = new Int32Array(1024)
  private months: Float64Array = new Float64Array(2 * 1024)
  private entries = 0

  /** A new customer's number. */
  addCustomer(): number {
    const c = this.customers++
    if (c === this.head.length) {
      this.sums = growF64(this.sums, 8 * c)
      this.head = grow(this.head, 2 * c)
      this.lastDay = growF64(this.lastDay, 2 * c)
      this.lastEntry = grow(this.lastEntry, 2 * c)
    }
    this.head[c] = -1
    this.lastDay[c] = Number.NaN
    return c
  }

  /** One cleaned row of customer `c`, in file order. */
  add(c: number, day: number, spend: number, cancelled: boolean): void {
    const sums = this.sums
    add(sums, 4 * c, spend)
    if (!cancelled) add(sums, 4 * c + 2, spend)
    if (day !== this.lastDay[c]) {
      this.lastDay[c] = day
      this.lastEntry[c] = this.entryOf(c, monthIndexOfDay(day))
    }
    add(this.months, 2 * this.lastEntry[c]!, spend)
  }

  /** Customer `c`'s row sums, or undefined when the merge's sums over `days` (ascending) give the same doubles. */
  result(c: number, days: readonly DayPartial[]): ExactSpend | undefined {
    const list: number[] = []
    for (let e = this.head[c]!; e >= 0; e = this.next[e]!) list.push(e)
    const keys = this.keys
    list.sort((a, b) => keys[a]! - keys[b]!)
    const byDays = [0, 0, 0, 0]
    const byMonth = new Float64Array(2 * list.length)
    const slot = (key: number) => list.findIndex((e) => keys[e] === key)
    for (const d of days) {
      if (d.lines === 0) continue
      add(byDays, 0, d.netSpend)
      if (d.purchaseLines > 0) add(byDays, 2, d.purchaseSpend)
      add(byMonth, 2 * slot(monthIndexOfDay(d.day)), d.netSpend)
    }
    const s = this.sums
    const exact: ExactSpend = { net: s[4 * c]! + s[4 * c + 1]!, purchase: s[4 * c + 2]! + s[4 * c + 3]!, months: [] }
    let same = Object.is(exact.net, byDays[0]! + byDays[1]!) && Object.is(exact.purchase, byDays[2]! + byDays[3]!)
    for (const [m, e] of list.entries()) {
      const value = this.months[2 * e]! + this.months[2 * e + 1]!
      exact.months.push(keys[e]!, value)
      if (!Object.is(value, byMonth[2 * m]! + byMonth[2 * m + 1]!)) same = false
    }
    return same ? undefined : exact
  }

  /** Bytes of the columns (benchmarks). */
  bytes(): number {
    return this.sums.byteLength + this.head.byteLength + this.lastDay.byteLength + this.lastEntry.byteLength + this.keys.byteLength + this.next.byteLength + this.months.byteLength
  }

  /** Customer `c`'s entry of month `key`, appended at the end of its list when new. */
  private entryOf(c: number, key: number): number {
    let last = -1
    for (let e = this.head[c]!; e >= 0; e = this.next[e]!) {
      if (this.keys[e] === key) return e
      last = e
    }
    const e = this.entries++
    if (e === this.keys.length) {
      this.keys = grow(this.keys, 2 * e)
      this.next = grow(this.next, 2 * e)
      this.months = growF64(this.months, 4 * e)
    }
    this.keys[e] = key
    this.next[e] = -1
    if (last < 0) this.head[c] = e
    else this.next[last] = e
    return e
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
