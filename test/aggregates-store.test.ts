// Stored aggregates: an upload stores them in its own pass, GET /datasets/{id} says so, and
// loadMergedAggregates gives buildFeatures' features on the stored rows (1e-9 relative), for one
// dataset and for two (the sample, then one more row of its customer 12347 on a later day: the
// customer's partials add up across datasets; the rebuild path is covered in aggregates.test.ts).
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
})
