// The build's compact per-customer tables (src/aggregates/invoice-pairs.ts, day-index.ts and
// exact.ts's SpendTable) against plain Maps and arrays doing the same (the per-customer objects
// they replaced), for random row sequences, across their growth.
import fc from 'fast-check'
import t from 'tap'
import { DayIndex } from '../src/aggregates/day-index.ts'
import { SpendTable } from '../src/aggregates/exact.ts'
import { InvoicePairs } from '../src/aggregates/invoice-pairs.ts'
import { monthIndexOfDay } from '../src/pipeline/calendar.ts'
import type { DayPartial } from '../src/aggregates/types.ts'

// Few customers and invoice numbers, so that numbers shared by customers and repeats are common.
const rows = fc.array(fc.record({ c: fc.nat({ max: 400 }), no: fc.stringMatching(/^C?5[0-9]{1,3}$/), day: fc.integer({ min: 14_975, max: 15_400 }) }), { maxLength: 3000, size: 'max' })

t.test('InvoicePairs numbers (customer, invoice) pairs as per-customer maps do (property)', async (t) => {
  fc.assert(
    fc.property(rows, (rs) => {
      const pairs = new InvoicePairs()
      const seen = new Set<number>()
      const at = new Map<string, number>()
      const lists = new Map<number, string[]>()
      for (const { c, no } of rs) {
        if (!seen.has(c)) {
          seen.add(c)
          pairs.addCustomer(c)
        }
        const key = `${c} ${no}`
        let serial = at.get(key)
        const list = lists.get(c) ?? []
        lists.set(c, list)
        if (serial === undefined) {
          at.set(key, (serial = at.size))
          list.push(no)
        }
        const p = pairs.pairOf(c, no)
        if (p !== serial || pairs.localOf(p) !== list.indexOf(no)) return false
      }
      return pairs.size === at.size && [...lists].every(([c, list]) => JSON.stringify(pairs.invoicesOf(c)) === JSON.stringify(list))
    }),
    { numRuns: 200 },
  )
  t.pass('200 runs')
})

t.test('DayIndex finds every customer-day and lists each customer\'s (property)', async (t) => {
  fc.assert(
    fc.property(rows, (rs) => {
      const index = new DayIndex()
      const oracle = new Map<string, number>()
      for (const { c, day } of rs) {
        const key = `${c} ${day}`
        const want = oracle.get(key) ?? -1
        if (index.get(c, day) !== want) return false
        if (want < 0) {
          oracle.set(key, oracle.size)
          index.add(c, day, oracle.size - 1)
        }
      }
      const byCustomer = new Map<number, number[]>()
      for (const [key, k] of oracle) {
        const c = Number(key.split(' ')[0])
        byCustomer.set(c, [...(byCustomer.get(c) ?? []), k])
      }
      for (const [c, want] of byCustomer) if (JSON.stringify(index.indexesOf(c).sort((a, b) => a - b)) !== JSON.stringify(want)) return false
      return index.indexesOf(999).length === 0
    }),
    { numRuns: 200 },
  )
  t.pass('200 runs')
})

t.test('DayIndex refuses an index out of turn', async (t) => {
  const index = new DayIndex()
  index.add(0, 15_000, 0)
  t.throws(() => index.add(1, 15_000, 5), /index 5 added, 1 expected/)
})

/** One Neumaier sum, as buildFeatures runs it. */
function neumaier(xs: number[]): number {
  let s = 0
  let c = 0
  for (const x of xs) {
    const t = s + x
    c += Math.abs(s) >= Math.abs(x) ? s - t + x : x - t + s
    s = t
  }
  return s + c
}

t.test('SpendTable: each customer\'s row sums, by month, exactly (property)', async (t) => {
  const spend = fc.oneof(fc.double({ min: -1e4, max: 1e4, noNaN: true }), fc.constantFrom(0.1, 0.2, 0.3, 1e-3, 1e16, -1e16, 2.55))
  fc.assert(
    fc.property(fc.array(fc.record({ c: fc.nat({ max: 30 }), day: fc.integer({ min: 14_975, max: 15_400 }), x: spend, cancelled: fc.boolean() }), { maxLength: 2000, size: 'max' }), (rs) => {
      const table = new SpendTable()
      const numbers = new Map<number, number>()
      for (const r of rs) {
        if (!numbers.has(r.c)) numbers.set(r.c, table.addCustomer())
        table.add(numbers.get(r.c)!, r.day, r.x, r.cancelled)
      }
      for (const [c, n] of numbers) {
        const own = rs.filter((r) => r.c === c)
        // Days whose sums are not those of the rows: the row sums must come back.
        const days = [{ day: own[0]!.day, lines: 1, purchaseLines: 0, netSpend: Number.MAX_VALUE, purchaseSpend: 0 }] as unknown as DayPartial[]
        const exact = table.result(n, days)
        if (!exact || !Object.is(exact.net, neumaier(own.map((r) => r.x))) || !Object.is(exact.purchase, neumaier(own.filter((r) => !r.cancelled).map((r) => r.x)))) return false
        const months = [...new Set(own.map((r) => monthIndexOfDay(r.day)))].sort((a, b) => a - b)
        const want = months.flatMap((m) => [m, neumaier(own.filter((r) => monthIndexOfDay(r.day) === m).map((r) => r.x))])
        if (exact.months.length !== want.length || exact.months.some((v, i) => !Object.is(v, want[i]))) return false
      }
      return true
    }),
    { numRuns: 200 },
  )
  t.pass('200 runs')
})

t.test('SpendTable: no exact sums when the days give the same doubles', async (t) => {
  const table = new SpendTable()
  const c = table.addCustomer()
  table.add(c, 15_000, 10.5, false)
  table.add(c, 15_000, 2.25, true)
  const days = [{ day: 15_000, lines: 2, purchaseLines: 1, netSpend: 12.75, purchaseSpend: 10.5 }] as unknown as DayPartial[]
  t.equal(table.result(c, days), undefined)
  t.same(table.result(c, [{ ...days[0]!, netSpend: 12.5 }]), { net: 12.75, purchase: 10.5, months: [monthIndexOfDay(15_000), 12.75] })
})
