// Stored aggregates: an upload stores them in its own pass, GET /datasets/{id} says so, and
// loadMergedAggregates gives buildFeatures' features on the stored rows, bit for bit for one
// dataset and to 1e-9 relative for two (the sample, then one more row of its customer 12347 on a
// later day: the customer's partials add up across datasets; the rebuild path is covered in
// aggregates.test.ts and aggregates-training.test.ts). A file whose dates are re-read day first
// is stored without them; they are built from its stored rows right after ("building", then "ready").
import { readFileSync } from 'node:fs'
import t from 'tap'
import { buildFromTransactions } from '../src/datasets/features-store.ts'
import { loadMergedAggregates } from '../src/training/aggregates.ts'
import { testApp } from './helpers/app.ts'

const SAMPLE = readFileSync('test/fixtures/online_retail_sample_445.csv.gz')

function close(t: { ok(v: boolean, m: string): void }, a: Float64Array, b: Float64Array, what: string): void {
  let worst = 0
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!)))
  t.ok(a.length === b.length && worst <= 1e-9, `${what}: ${a.length} values, worst relative difference ${worst}`)
}

t.test('stored aggregates merge to the features of the stored rows', async (t) => {
  const { app } = await testApp(t)
  const up = await app.inject({ method: 'POST', url: '/datasets?name=sample', payload: SAMPLE, headers: { 'content-type': 'text/csv', 'content-encoding': 'gzip' } })
  t.equal(up.statusCode, 201)
  const id = up.json().id as string
  t.equal((await app.inject({ url: `/datasets/${id}` })).json().aggregates, 'ready')
  const extra = 'InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n999999,85123A,WHITE HANGING HEART T-LIGHT HOLDER,3,2011-12-10 10:00,2.55,12347,Iceland\n'
  const up2 = await app.inject({ method: 'POST', url: '/datasets?name=extra', payload: extra, headers: { 'content-type': 'text/csv' } })
  t.equal(up2.statusCode, 201)
  const id2 = up2.json().id as string
  for (const ids of [[id], [id, id2]]) {
    const merged = await loadMergedAggregates(app.db, ids)
    const direct = await buildFromTransactions(app.db, ids)
    t.ok(merged !== null, 'aggregates stored')
    t.same(merged!.original.customerIds, direct.original.customerIds, `${ids.length} dataset(s): same customers`)
    close(t, merged!.original.values, direct.original.values, `${ids.length} dataset(s): seed`)
    close(t, merged!.default.values, direct.default.values, `${ids.length} dataset(s): default`)
    t.same(merged!.cleaning, direct.cleaning, `${ids.length} dataset(s): cleaning report`)
  }
  const one = (await loadMergedAggregates(app.db, [id]))!
  const direct = await buildFromTransactions(app.db, [id])
  t.same([Array.from(one.original.values), Array.from(one.default.values)], [Array.from(direct.original.values), Array.from(direct.default.values)], 'one dataset: every feature bit for bit')
  t.same(Array.from(one.purchaseDays!.values), Array.from(direct.purchaseDays!.values), 'one dataset: the purchase days\' values bit for bit')
})

t.test('a file re-read day first gets its aggregates from its stored rows after the upload', async (t) => {
  const { app } = await testApp(t)
  // 05/01 and 06/01 are undecided until 25/01 proves the day comes first: the first rows are swapped at the end.
  const rows = ['05/01/2011 10:00', '06/01/2011 11:00', '25/01/2011 09:30'].map((d, i) => `5370${i},85123A,WHITE HANGING HEART T-LIGHT HOLDER,${i + 2},${d},2.55,1234${i % 2},United Kingdom`)
  const csv = `InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n${rows.join('\n')}\n`
  const up = await app.inject({ method: 'POST', url: '/datasets', payload: csv, headers: { 'content-type': 'text/csv' } })
  t.equal(up.statusCode, 201, up.body.slice(0, 200))
  t.equal(up.json().dateFormat, 'DD/MM/YYYY HH:mm')
  const id = up.json().id as string
  let state = ''
  for (let i = 0; i < 200 && state !== 'ready'; i++) {
    state = (await app.inject({ url: `/datasets/${id}` })).json().aggregates
    if (state !== 'ready') await new Promise((r) => setTimeout(r, 50))
  }
  t.equal(state, 'ready', 'built in the background')
  const merged = (await loadMergedAggregates(app.db, [id]))!
  const direct = await buildFromTransactions(app.db, [id])
  t.same(merged.original.customerIds, ['12340', '12341'])
  t.same(Array.from(merged.original.values), Array.from(direct.original.values), 'the features of the stored (swapped) rows, bit for bit')
  t.equal(merged.original.referenceDate, Date.UTC(2011, 0, 25), 'the true last day')
})
