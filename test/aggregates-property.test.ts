// Random small transaction sets (shared invoice numbers across customers, C-invoices, exact and
// near duplicates, invoices over several days, prices <= 0 and NaN, anomalous codes, excluded and
// missing descriptions, guests), split at random into datasets with random copies between them,
// merged over a random asOf / window, stored or not, whole or by hash range: always equal to
// buildFeatures on the concatenation, filtered.
import fc from 'fast-check'
import t from 'tap'
import { buildAggregate, decodeAggregate, encodeAggregate, finishMerge, mergeAggregates, mergePart, splitRange } from '../src/aggregates/index.ts'
import { DAY_MS } from '../src/pipeline/calendar.ts'
import type { Transaction } from '../src/pipeline/types.ts'
import { differences, oracle, rowsByCustomer } from './helpers/aggregates.ts'

const BASE_DAY = 15_000 // 2011-01-26
const row: fc.Arbitrary<Transaction> = fc.record({
  invoiceNo: fc.constantFrom('500', '501', '502', 'C503', 'C504', '505'),
  stockCode: fc.constantFrom('85123A', '10002', '22222', '84406B', 'POST', 'D', 'C2'),
  description: fc.constantFrom<string | null>('White heart', 'WHITE HEART', 'white heart', 'Blue cup', 'Next Day Carriage', 'High Resolution Image', null, ''),
  quantity: fc.oneof(fc.integer({ min: -4, max: 6 }), fc.constantFrom(0.5, Number.NaN)),
  invoiceDate: fc.tuple(fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 23 })).map(([d, h]) => (BASE_DAY + d) * DAY_MS + h * 3_600_000),
  unitPrice: fc.constantFrom(1.25, 2.55, 0.1, 3, 0, -1, Number.NaN),
  customerId: fc.constantFrom<string | null>('12', '13', '100', '7', 'A1', null, ''),
  country: fc.constantFrom<string | null>('United Kingdom', 'France', 'EIRE', null),
})

interface Case {
  rows: Transaction[]
  /** Dataset of each row (0..k-1). */
  assign: number[]
  /** [row, dataset] copies: an exact duplicate of a row appended to another dataset. */
  copies: [number, number][]
  /** [row, days later, price]: the same rule-2 key again in the row's dataset, on another day. */
  echoes: [number, number, number][]
  k: number
  asOf: number | null
  from: number | null
  encode: boolean
  ranges: number
}

const scenario: fc.Arbitrary<Case> = fc
  .record({
    rows: fc.array(row, { minLength: 0, maxLength: 40 }),
    k: fc.integer({ min: 1, max: 3 }),
    seed: fc.array(fc.nat(), { minLength: 60, maxLength: 60 }),
    copies: fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 6 }),
    echoes: fc.array(fc.tuple(fc.nat(), fc.integer({ min: -3, max: 4 }), fc.constantFrom(0, 2)), { maxLength: 4 }),
    asOf: fc.option(fc.integer({ min: BASE_DAY - 1, max: BASE_DAY + 13 })),
    from: fc.option(fc.integer({ min: BASE_DAY - 1, max: BASE_DAY + 13 })),
    encode: fc.boolean(),
    ranges: fc.integer({ min: 1, max: 3 }),
  })
  .map(({ rows, k, seed, copies, echoes, asOf, from, encode, ranges }) => ({
    rows,
    k,
    assign: rows.map((_, i) => seed[i % seed.length]! % k),
    copies: rows.length === 0 ? [] : copies.map(([r, d]): [number, number] => [r % rows.length, d % k]),
    echoes: rows.length === 0 ? [] : echoes.map(([r, d, p]): [number, number, number] => [r % rows.length, d, p]),
    asOf,
    from,
    encode,
    ranges,
  }))

function datasetsOf(c: Case): Transaction[][] {
  const ds: Transaction[][] = Array.from({ length: c.k }, () => [])
  c.rows.forEach((r, i) => ds[c.assign[i]!]!.push(r))
  for (const [r, d] of c.copies) ds[d]!.push({ ...c.rows[r]! })
  for (const [r, days, price] of c.echoes) ds[c.assign[r]!]!.push({ ...c.rows[r]!, invoiceDate: c.rows[r]!.invoiceDate + days * DAY_MS, unitPrice: price })
  return ds
}

function check(c: Case): string[] {
  const datasets = datasetsOf(c)
  const window = { ...(c.asOf === null ? {} : { asOf: c.asOf }), ...(c.from === null ? {} : { from: c.from }) }
  const want = oracle(datasets, window)
  const fetchRows = rowsByCustomer(datasets)
  const aggs = datasets.map((d) => (c.encode ? decodeAggregate(encodeAggregate(buildAggregate(d))) : buildAggregate(d)))
  const whole = mergeAggregates(aggs, { ...window, fetchRows })
  const bad = differences(whole, want)
  if (c.ranges > 1) {
    const parts = splitRange(c.ranges).map((range) => mergePart(aggs, { ...window, range, fetchRows }))
    for (const d of differences(finishMerge(parts, window), want)) bad.push(`ranges: ${d}`)
  }
  return bad
}

t.test('merged aggregates == buildFeatures on the concatenated, filtered rows', async (t) => {
  let runs = 0
  let rebuilt = 0
  let windowed = 0
  fc.assert(
    fc.property(scenario, (c) => {
      runs++
      if (c.asOf !== null || c.from !== null) windowed++
      const datasets = datasetsOf(c)
      const aggs = datasets.map((d) => buildAggregate(d))
      rebuilt += mergePart(aggs, { asOf: c.asOf ?? undefined, from: c.from ?? undefined, fetchRows: rowsByCustomer(datasets) }).rebuilt.length
      const bad = check(c)
      if (bad.length > 0) throw new Error(bad.join('\n'))
    }),
    { numRuns: 400, seed: 14 },
  )
  t.equal(runs, 400)
  t.ok(rebuilt > 50 && windowed > 200, `${rebuilt} customer rebuilds, ${windowed} windowed runs`)
})

t.test('hand-made edge cases', async (t) => {
  const at = (d: number, h = 10) => (BASE_DAY + d) * DAY_MS + h * 3_600_000
  const r = (p: Partial<Transaction>): Transaction => ({
    invoiceNo: '500', stockCode: '85123A', description: 'White heart', quantity: 1, invoiceDate: at(0), unitPrice: 1, customerId: '12', country: 'France', ...p,
  })
  // A key on two days in one dataset: the window keeps only the second, which is then "the first".
  const split = [[r({ invoiceDate: at(0) }), r({ invoiceDate: at(5), unitPrice: 2 })]]
  const cases: { name: string; datasets: Transaction[][]; window: { asOf?: number; from?: number } }[] = [
    { name: 'key over two days, window keeps the later', datasets: split, window: { from: BASE_DAY + 3 } },
    { name: 'key over two days, asOf keeps the earlier', datasets: split, window: { asOf: BASE_DAY + 3 } },
    // A price-0 row in dataset 0 hides its duplicate (price 2) in dataset 1: rule 2 before rule 6.
    { name: 'duplicate of a removed row across datasets', datasets: [[r({ unitPrice: 0 })], [r({ unitPrice: 2, invoiceDate: at(4) })]], window: {} },
    // One invoice over two datasets with different lines: counted once, hour of the first row.
    { name: 'one invoice in two datasets', datasets: [[r({ invoiceDate: at(1, 15) })], [r({ stockCode: '10002', invoiceDate: at(1, 9) })]], window: {} },
    { name: 'nothing in the window', datasets: split, window: { asOf: BASE_DAY - 1 } },
    { name: 'guests only', datasets: [[r({ customerId: null })]], window: {} },
  ]
  for (const c of cases) {
    const aggs = c.datasets.map((d) => buildAggregate(d))
    const got = mergeAggregates(aggs, { ...c.window, fetchRows: rowsByCustomer(c.datasets) })
    t.same(differences(got, oracle(c.datasets, c.window)), [], c.name)
  }
  const got = mergeAggregates([buildAggregate(split[0]!)], { from: BASE_DAY + 3, fetchRows: rowsByCustomer(split) })
  t.same(Array.from(got.original.values.subarray(3, 4)), [2], 'the later row is kept (Total_Spend 2)')
  const inv = mergeAggregates([buildAggregate(cases[3]!.datasets[0]!), buildAggregate(cases[3]!.datasets[1]!)], { fetchRows: rowsByCustomer(cases[3]!.datasets) })
  t.same([inv.original.values[1], inv.default.values[9], inv.original.values[8]], [1, 15, 9], 'one transaction at the hour of its first row in dataset order; row hours tie to the smaller')
})
