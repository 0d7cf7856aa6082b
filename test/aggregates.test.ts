// The aggregate layer on the full UCI file: features from aggregates built in file order (and
// stored, and merged across overlapping or interleaved datasets, windows and hash ranges) equal
// today's buildFeatures on rows sorted by customer.
import { readFileSync } from 'node:fs'
import { gunzipSync } from 'node:zlib'
import t from 'tap'
import {
  AggregateBuilder,
  buildAggregate,
  customersToRebuild,
  decodeAggregate,
  decodeCustomer,
  encodeAggregate,
  encodeCustomer,
  finishMerge,
  mergeAggregates,
  mergeCustomer,
  mergePart,
  rebuildCustomers,
  splitRange,
  type DatasetAggregate,
} from '../src/aggregates/index.ts'
import { dayOf } from '../src/pipeline/calendar.ts'
import { buildFeatures } from '../src/pipeline/features.ts'
import type { Line, Transaction } from '../src/pipeline/types.ts'
import { differences, oracle, rowsByCustomer } from './helpers/aggregates.ts'
import { parseRetailCsv, sortByCustomer } from './helpers/retail-csv.ts'
import { FULL_DATA } from './helpers/data.ts'

/** The full UCI file (moves to test/fixtures at merge: FULL_DATA in test/helpers/data.ts). */
const FULL = FULL_DATA
const at = (iso: string): number => dayOf(Date.parse(`${iso}T00:00:00Z`))

const rows: Line[] = parseRetailCsv(gunzipSync(readFileSync(FULL)).toString('utf8'))
const whole = await buildFeatures([sortByCustomer(rows)])
const roundTrip = (a: DatasetAggregate) => decodeAggregate(encodeAggregate(a))

t.test('one dataset: aggregates from rows in file order == buildFeatures on rows sorted by customer', async (t) => {
  t.equal(rows.length, 541_909)
  const agg = buildAggregate(rows)
  t.equal(agg.customers.length, 4_372, 'every customer with an id has a partial')
  const got = mergeAggregates([agg])
  t.same(differences(got, whole), [], 'both recipes every feature to 1e-9, same customers, cleaning counts and baskets')
  t.equal(got.original.customerIds.length, 4_362)
  t.equal(got.cleaning.rowsOut, 399_567)
  t.equal(got.original.referenceDate, Date.UTC(2011, 11, 9))

  // Stored and read back: identical partials, identical features.
  const bytes = encodeAggregate(agg)
  const back = decodeAggregate(bytes)
  const days = agg.customers.reduce((n, c) => n + c.days.length, 0)
  t.equal(days, 19_296, 'customer-days')
  t.ok(bytes.length < 4 * 2 ** 20, `encoded: ${bytes.length} bytes, ${(bytes.length / 4_372).toFixed(0)} per customer, ${(bytes.length / days).toFixed(1)} per customer-day`)
  t.same(differences(mergeAggregates([back]), whole), [], 'from the decoded bytes')
  const strip = (a: DatasetAggregate) => a.customers.map((c) => ({ ...c, dictionary: null }))
  t.same(strip(back), strip(agg), 'decode(encode(x)) deep-equals x')

  // One customer on its own: its partial alone gives its row.
  const c = agg.customers.find((p) => p.customerId === '12347')!
  const single = decodeCustomer(encodeCustomer(c))
  const stats = mergeCustomer([single])!
  t.equal(stats.lines, 182)
  t.equal(stats.invoices, 7)
  t.equal(Math.round((stats.netSpend + stats.netSpendComp) * 100) / 100, 4310)
  const i = whole.original.customerIds.indexOf('12347')
  const viaParts = finishMerge([mergePart([{ ...agg, customers: [single], guestDays: [] }])], { asOf: dayOf(whole.original.referenceDate) })
  t.same(Array.from(viaParts.original.values), Array.from(whole.original.values.subarray(i * 15, i * 15 + 15)), 'the customer\'s seed row from its own bytes')
})

t.test('three overlapping parts (a week of exact duplicates at each cut) merged == the single file', async (t) => {
  const cut1 = at('2011-04-01')
  const cut2 = at('2011-08-15')
  const day = (r: Transaction) => dayOf(r.invoiceDate)
  const parts = [
    rows.filter((r) => day(r) < cut1 + 7),
    rows.filter((r) => day(r) >= cut1 && day(r) < cut2 + 7),
    rows.filter((r) => day(r) >= cut2),
  ]
  t.ok(parts[0]!.length + parts[1]!.length + parts[2]!.length > rows.length + 10_000, 'the parts overlap')
  const aggs = parts.map((p) => roundTrip(buildAggregate(p)))
  const fetchRows = rowsByCustomer(parts)
  const part = mergePart(aggs, { fetchRows })
  t.ok(part.rebuilt.length > 100, `${part.rebuilt.length} customers with invoices in two parts rebuilt from their rows`)
  const got = finishMerge([part])
  t.same(differences(got, whole, { rawCounts: false }), [], 'seed and default, every feature to 1e-9, baskets, cleaning counts from rule 2 on: as the single file')
  t.equal(got.cleaning.rowsIn, parts[0]!.length + parts[1]!.length + parts[2]!.length, 'rows in: all three parts')
  t.equal(got.cleaning.steps[1]!.rowsAfter, 401_550, 'the overlap\'s copies removed as duplicates (rule 2)')
  t.same(differences(got, oracle(parts)), [], 'and as buildFeatures on the concatenation')
  t.throws(() => mergeAggregates(aggs), /needs an exact rebuild/, 'no fetchRows: refused, never approximated')
  // Two phases, as an asynchronous store would: list, fetch those customers' rows in one go, merge.
  const ids = customersToRebuild(aggs)
  t.same(ids, part.rebuilt, 'the list names the customers the merge rebuilds')
  const wanted = new Set(ids)
  const theirRows = parts.flatMap((p) => p.filter((r) => r.customerId !== null && wanted.has(r.customerId)))
  const rebuilt = rebuildCustomers(ids, sortByCustomer(theirRows))
  t.same(differences(mergeAggregates(aggs, { rebuilt }), got), [], 'rebuilt ahead == fetched one by one')
})

t.test('parts that interleave customers', async (t) => {
  // Contiguous runs of lines at arbitrary cuts: customers spread over parts, file order kept.
  const chunks = [rows.slice(0, 123_457), rows.slice(123_457, 400_001), rows.slice(400_001)]
  const got = mergeAggregates(chunks.map((c) => roundTrip(buildAggregate(c))), { fetchRows: rowsByCustomer(chunks) })
  t.same(differences(got, whole), [], 'cut anywhere: as the single file')
  // Rows dealt round-robin: every customer in all three, their rows reordered by the concatenation.
  const dealt = [0, 1, 2].map((k) => rows.filter((_, i) => i % 3 === k))
  const fetchRows = rowsByCustomer(dealt)
  const part = mergePart(dealt.map((c) => buildAggregate(c)), { fetchRows })
  t.same(differences(finishMerge([part]), oracle(dealt)), [], 'dealt round-robin: as buildFeatures on the concatenation')
})

t.test('asOf and a 6-month window: as filtering the rows first', async (t) => {
  const asOf = at('2011-09-09')
  const from = at('2011-03-10')
  const agg = buildAggregate(rows)
  const upTo = mergeAggregates([agg], { asOf })
  t.same(differences(upTo, oracle([rows], { asOf })), [], 'asOf 2011-09-09')
  t.equal(upTo.original.referenceDate, Date.UTC(2011, 8, 9), 'reference date = asOf')
  t.ok(upTo.original.customerIds.length < 4_362 && upTo.original.customerIds.length > 3_000, `${upTo.original.customerIds.length} customers by then`)
  const window = mergeAggregates([agg], { asOf, from })
  t.same(differences(window, oracle([rows], { asOf, from })), [], 'window 2011-03-10 .. 2011-09-09')
  const asOfNoData = at('2011-09-11') // a Sunday without invoices
  t.same(differences(mergeAggregates([agg], { asOf: asOfNoData }), oracle([rows], { asOf: asOfNoData })), [], 'asOf on a day without rows')

  // The same window over the three overlapping parts.
  const cut = at('2011-06-01')
  const parts = [rows.filter((r) => dayOf(r.invoiceDate) < cut + 7), rows.filter((r) => dayOf(r.invoiceDate) >= cut)]
  const merged = mergeAggregates(parts.map((p) => buildAggregate(p)), { asOf, from, fetchRows: rowsByCustomer(parts) })
  t.same(differences(merged, oracle([rows], { asOf, from }), { rawCounts: false }), [], 'window over two overlapping parts: as the single file')
  t.same(differences(merged, oracle(parts, { asOf, from })), [], 'and as the concatenation')

  // Purchase days and values for the value model (docs/pipeline.md section 6).
  const part = mergePart([agg], { asOf })
  const k = part.customerIds.indexOf('12347')
  const days = Array.from(part.purchaseDays.subarray(part.purchaseOffsets[k]!, part.purchaseOffsets[k + 1]!))
  const values = Array.from(part.purchaseValues.subarray(part.purchaseOffsets[k]!, part.purchaseOffsets[k + 1]!))
  const mine = rows.filter((r) => r.customerId === '12347' && dayOf(r.invoiceDate) <= asOf && !r.invoiceNo.startsWith('C'))
  const want = new Map<number, number>()
  for (const r of mine) want.set(dayOf(r.invoiceDate), (want.get(dayOf(r.invoiceDate)) ?? 0) + r.quantity * r.unitPrice)
  t.same(days, [...want.keys()].sort((a, b) => a - b), 'purchase days of 12347')
  t.ok(values.every((v, i) => Math.abs(v - want.get(days[i]!)!) < 1e-9), 'their values')
})

t.test('customer-hash ranges: built and merged apart, concatenated == whole', async (t) => {
  const ranges = splitRange(4)
  // Each range built on its own from the whole file (as four workers would), then merged apart.
  const built = ranges.map((range) => new AggregateBuilder({ range }).pushAll(rows).finish())
  t.equal(built.reduce((n, a) => n + a.customers.length, 0), 4_372, 'every customer in exactly one range')
  t.ok(built.every((a) => a.customers.length > 600), `sizes ${built.map((a) => a.customers.length).join(', ')}`)
  const parts = built.map((a, k) => mergePart([roundTrip(a)], { range: ranges[k] }))
  t.same(differences(finishMerge(parts.slice().reverse()), whole), [], 'four ranges, any order')
  // Ranges of one whole aggregate, decoded by range (the others skipped unread).
  const bytes = encodeAggregate(buildAggregate(rows))
  const byRange = splitRange(3).map((range) => mergePart([decodeAggregate(bytes, { range })], { range }))
  t.same(differences(finishMerge(byRange), whole), [], 'three ranges decoded from one stored aggregate')
  t.throws(() => finishMerge([byRange[0]!, byRange[0]!]), /two parts/)
})
