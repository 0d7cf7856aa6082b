// The value model's source in the feature pass: the purchase days collected from the cleaned rows
// equal the summary library's own reading of the same cleaned lines (property over random rows
// and on the real sample), and a pass with asOf gives exactly the features of a pass over the
// rows up to asOf with asOf as the reference date.
import fc from 'fast-check'
import t from 'tap'
import { buildFeatures } from '../src/pipeline/features.ts'
import { boughtStockCodes } from '../src/pipeline/recommend.ts'
import { dayOf, DAY_MS } from '../src/pipeline/calendar.ts'
import type { Transaction } from '../src/pipeline/types.ts'
import { inCustomerOrder } from '../src/training/train.ts'
import { customerSummaries } from '../src/value/purchase-days.ts'
import { purchaseDaysFromLines, summarizeCustomer } from '../src/value/summary.ts'
import { loadRetailCsvGz } from './helpers/retail-csv.ts'
import { SAMPLE_DATA } from './helpers/data.ts'
import { cleanedLinesByCustomer } from './helpers/cleaned-lines.ts'

/** The summary library on cleaned lines, per customer: the reading the pass must reproduce. */
function direct(rows: readonly Transaction[], asOfDay: number, holdoutDays: number) {
  const lines = cleanedLinesByCustomer(rows)
  const out = new Map<string, { summary: unknown; holdout: number }>()
  for (const [id, l] of lines) {
    const days = purchaseDaysFromLines(l)
    const s = summarizeCustomer(days, asOfDay)
    out.set(id, { summary: s.ok ? s.summary : null, holdout: days.filter((d) => d.day > asOfDay && d.day <= asOfDay + holdoutDays).length })
  }
  return out
}

async function viaPass(rows: readonly Transaction[], asOfDay: number, holdoutDays: number) {
  const build = await buildFeatures([rows as Transaction[]], { asOf: asOfDay * DAY_MS })
  return new Map(customerSummaries(build.purchaseDays!, asOfDay, holdoutDays).map((r) => [r.customerId, { summary: r.summary, holdout: r.holdout.purchases }]))
}

const DAY0 = dayOf(Date.UTC(2011, 0, 1))

const row = fc.record({
  customer: fc.constantFrom('c1', 'c2', 'c3', null),
  cancelled: fc.boolean(),
  day: fc.integer({ min: 0, max: 60 }),
  hour: fc.integer({ min: 8, max: 18 }),
  quantity: fc.integer({ min: 1, max: 24 }),
  price: fc.constantFrom(0, 0.85, 1.25, 2.55, 4.95),
  stock: fc.constantFrom('85123A', '22423', 'POST', 'M', '71053'),
})

t.test('purchase days from the pass = the summary library on the cleaned lines (property)', async (t) => {
  await fc.assert(
    fc.asyncProperty(fc.array(row, { maxLength: 60 }), fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 30 }), async (specs, asOf, holdout) => {
      const rows: Transaction[] = specs.map((s, i) => ({
        invoiceNo: `${s.cancelled ? 'C' : ''}${500000 + s.day * 10 + (i % 3)}`,
        stockCode: s.stock,
        description: `ITEM ${s.stock}`,
        quantity: s.cancelled ? -s.quantity : s.quantity,
        invoiceDate: (DAY0 + s.day) * DAY_MS + s.hour * 3_600_000,
        unitPrice: s.price,
        customerId: s.customer,
        country: 'United Kingdom',
      }))
      const ordered = inCustomerOrder(rows)
      const want = direct(ordered, DAY0 + asOf, holdout)
      const got = await viaPass(ordered, DAY0 + asOf, holdout)
      t.same([...got.keys()].sort(), [...want.keys()].sort(), 'the same customers')
      for (const [id, w] of want) t.same(got.get(id), w, `customer ${id}`)
    }),
    { numRuns: 100 },
  )
})

t.test('on the real sample, as of a day in the middle', async (t) => {
  const rows = inCustomerOrder(loadRetailCsvGz(SAMPLE_DATA))
  const asOfDay = dayOf(Date.UTC(2011, 5, 30))
  const want = direct(rows, asOfDay, 90)
  const got = await viaPass(rows, asOfDay, 90)
  t.equal(got.size, want.size)
  let differ = 0
  for (const [id, w] of want) if (JSON.stringify(got.get(id)) !== JSON.stringify(w)) differ++
  t.equal(differ, 0, `all ${want.size} customers agree`)
})

t.test('features with asOf = features of the rows up to asOf, as of asOf', async (t) => {
  const rows = inCustomerOrder(loadRetailCsvGz(SAMPLE_DATA))
  const asOfDay = dayOf(Date.UTC(2011, 5, 30))
  const cut = await buildFeatures([rows], { asOf: asOfDay * DAY_MS })
  const upTo = await buildFeatures([rows.filter((r) => dayOf(r.invoiceDate) <= asOfDay)], { asOf: asOfDay * DAY_MS })
  for (const recipe of ['original', 'default'] as const) {
    t.same(cut[recipe].customerIds, upTo[recipe].customerIds, `${recipe}: the same customers`)
    t.same(Array.from(cut[recipe].values), Array.from(upTo[recipe].values), `${recipe}: the same values`)
    t.equal(cut[recipe].referenceDate, asOfDay * DAY_MS, 'recency counts to asOf')
  }
  // Product numbers differ (the cleaner numbers every code it sees, also after asOf): compare codes.
  const bought = (b: typeof cut.baskets) => b.customerIds.map((_, i) => boughtStockCodes(b, i).sort())
  t.same(bought(cut.baskets), bought(upTo.baskets), 'what each customer bought, from the rows up to asOf')
  t.ok(cut.purchaseDays!.days.length > upTo.purchaseDays!.days.length, 'the purchase days go on after asOf (the holdout)')
})
