// The service end to end on the suite's backend: upload the real sample, train through the job
// worker, then predict (by id, by features, by transactions), list segments, export CSV, and
// promote and roll back model versions.
import { readFileSync } from 'node:fs'
import type { FastifyInstance } from 'fastify'
import t from 'tap'
import { backend } from './helpers/db.ts'
import { testApp } from './helpers/app.ts'
import { postTrain, waitForJob } from './helpers/train.ts'
import { buildFromTransactions, parseBuild, serializeBuild } from '../src/datasets/features-store.ts'
import { storedFeatures } from '../src/training/aggregates.ts'

const SAMPLE = readFileSync('test/fixtures/online_retail_sample_445.csv.gz')

async function trainAndWait(app: FastifyInstance, body: object, headers: Record<string, string> = {}) {
  const res = await postTrain(app, body, headers)
  return { res, job: await waitForJob(app, res.json().id as string, { deadlineMs: 60_000 }) }
}

t.test(`service on ${backend}`, async (t) => {
  const { app } = await testApp(t)

  const none = await app.inject({ url: '/predict/customer/12350' })
  t.equal(none.statusCode, 409, 'no model yet: 409')
  t.match(none.json(), { title: 'No active model', detail: /POST \/train/ })
  const noData = await app.inject({ method: 'POST', url: '/train', payload: {} })
  t.equal(noData.statusCode, 422, 'nothing to train on: 422')
  t.match(noData.json().detail, /upload one/)

  const ds = (await app.inject({ method: 'POST', url: '/datasets', payload: SAMPLE, headers: { 'content-type': 'application/gzip' } })).json()

  t.test("a dataset's stored aggregates merge to a fresh build from its transactions", async (t) => {
    t.equal((await app.inject({ url: `/datasets/${ds.id}` })).json().aggregates, 'ready', 'stored by the upload\'s own pass')
    const fresh = await buildFromTransactions(app.db, [ds.id])
    const back = (await storedFeatures(app.db, [ds.id]))!.full
    t.same(back, fresh, 'tables, cleaning counts, baskets and purchase days identical')
    t.same(Array.from(back.default.values), Array.from(fresh.default.values), 'every double bit for bit')
    const built = await app.db.query('SELECT 1 FROM dataset_features WHERE dataset_id = $1', [ds.id])
    t.equal(built.length, 0, 'no second pass over its transactions')
  })

  t.test('a stored build round-trips bit for bit (the fallback for datasets without aggregates)', async (t) => {
    const fresh = await buildFromTransactions(app.db, [ds.id])
    const back = parseBuild(serializeBuild(fresh))
    t.same(back, fresh)
    t.same(Array.from(back.default.values), Array.from(fresh.default.values), 'every double bit for bit')
  })

  const { res, job } = await trainAndWait(app, { datasetIds: [ds.id] }, { 'idempotency-key': 'first-train' })
  t.equal(res.headers.location, `/jobs/${job.id}`)
  t.equal(job.status, 'succeeded', JSON.stringify(job.log))
  t.equal(job.modelVersion, 1)
  t.same(job.params, { datasetIds: [ds.id], recipe: 'default', k: 'auto', kRange: [3, 8], seed: 42, activate: 'if-better' }, 'defaults resolved into the params')
  t.ok(['loading', 'modelling', 'saving'].every((s) => job.log.some((l: { message: string }) => l.message === `stage ${s}`)), 'every stage logged')
  const same = await app.inject({ method: 'POST', url: '/train', payload: { datasetIds: [ds.id] }, headers: { 'idempotency-key': 'first-train' } })
  t.equal(same.json().id, job.id, 'the same Idempotency-Key returns the same job')

  const model = (await app.inject({ url: '/models/active' })).json()
  t.match(model, { version: 1, status: 'active', recipe: 'default', customers: 444, datasetIds: [ds.id], jobId: job.id })
  t.ok(model.k >= 3, `k = ${model.k} ≥ 3`)
  t.match(model.cleaning.steps.map((s: { rule: string }) => s.rule), ['missing-id-or-description', 'duplicate-line', 'mark-cancellations', 'anomalous-stock-code', 'excluded-description', 'non-positive-price'])

  t.test('predict by id agrees with the stored assignment for every customer; features and transactions agree with id', async (t) => {
    const ids = (await app.db.query<{ customer_id: string; segment: number }>('SELECT customer_id, segment FROM assignments WHERE version = 1 ORDER BY customer_id'))
    t.equal(ids.length, 444, 'every customer that survives cleaning is assigned (445 uploaded, one has only non-product lines)')
    const batch = await app.inject({ method: 'POST', url: '/predict/customers', payload: { customerIds: ids.map((r) => r.customer_id) } })
    t.equal(batch.statusCode, 200)
    const preds = batch.json().predictions as { customerId: string; segment: { id: number }; features: Record<string, number> }[]
    t.same(preds.map((p) => p.segment.id), ids.map((r) => r.segment), 'batch by id = training assignment')

    const byFeatures = await app.inject({ method: 'POST', url: '/predict/customers', payload: { items: preds.map((p) => ({ features: p.features })) } })
    t.same(byFeatures.json().predictions.map((p: { segment: { id: number } }) => p.segment.id), ids.map((r) => r.segment), 'by raw features = by id')

    // Raw transactions: each customer's own rows, as uploaded.
    const rows = await app.db.query<Record<string, unknown>>(
      `SELECT invoice_no AS "InvoiceNo", stock_code AS "StockCode", description AS "Description", quantity AS "Quantity",
              to_char(invoice_date, 'YYYY-MM-DD HH24:MI:SS') AS "InvoiceDate", unit_price AS "UnitPrice", customer_id AS "CustomerID", country AS "Country"
         FROM transactions WHERE customer_id IS NOT NULL ORDER BY customer_id, line`)
    const byCustomer = new Map<string, Record<string, unknown>[]>()
    for (const r of rows) byCustomer.set(r.CustomerID as string, [...(byCustomer.get(r.CustomerID as string) ?? []), r])
    const items = ids.map((r) => ({ transactions: byCustomer.get(r.customer_id)! }))
    const byTx = await app.inject({ method: 'POST', url: '/predict/customers', payload: { items } })
    t.equal(byTx.statusCode, 200)
    t.same(byTx.json().predictions.map((p: { segment: { id: number } }) => p.segment.id), ids.map((r) => r.segment), 'by raw transactions = by id')

    const one = await app.inject({ url: '/predict/customer/12350' })
    t.equal(one.statusCode, 200)
    const p = one.json()
    t.match(p, { customerId: '12350', modelVersion: 1, segment: { name: /\w/, description: /\w/ } })
    t.equal(p.distances.length, model.k)
    const bought = new Set((byCustomer.get('12350') ?? []).map((r) => r.StockCode))
    t.ok(p.recommendations.length > 0 && p.recommendations.every((r: { stockCode: string }) => !bought.has(r.stockCode)), 'recommendations exclude what the customer bought')
    t.same(preds.find((b) => b.customerId === '12350'), p, 'a batch item is the single prediction, whole')
    t.match(batch.headers['content-type'], /^application\/json/)
    t.equal((await app.inject({ url: '/predict/customer/99999' })).statusCode, 404, 'unknown customer: 404')
    const bad = await app.inject({ method: 'POST', url: '/predict/customer', payload: { features: { recency_days: 3 } } })
    t.equal(bad.statusCode, 400)
    t.ok(bad.json().errors.some((e: { path: string }) => e.path === 'features.frequency'), 'missing features named')
    const mixed = await app.inject({ method: 'POST', url: '/predict/customers', payload: { customerIds: ['12350', 'nobody'] } })
    t.match(mixed.json().predictions, [{ customerId: '12350', segment: {} }, { customerId: 'nobody', error: { status: 404 } }], 'per-item errors inline')
  })

  t.test('segments, members and a spreadsheet-safe CSV', async (t) => {
    const segs = (await app.inject({ url: '/segments' })).json()
    t.equal(segs.length, model.k)
    t.equal(segs.reduce((a: number, s: { size: number }) => a + s.size, 0), 444, 'sizes add up to the customers')
    t.ok(segs.every((s: { profile: Record<string, unknown>; topProducts: unknown[] }) => s.profile.recency_days && s.topProducts.length > 0), 'profiles and top products')
    const s0 = segs[0]
    const page1 = (await app.inject({ url: `/segments/${s0.id}/customers?limit=10` })).json()
    t.equal(page1.items.length, Math.min(10, s0.size))
    const all: string[] = []
    let cursor: string | null = null
    do {
      const page: { items: { customerId: string }[]; nextCursor: string | null } = (await app.inject({ url: `/segments/${s0.id}/customers?limit=7${cursor ? `&cursor=${cursor}` : ''}` })).json()
      all.push(...page.items.map((i) => i.customerId))
      cursor = page.nextCursor
    } while (cursor && all.length <= s0.size) // bounded: a cursor that never ends fails the count below
    t.equal(all.length, s0.size, 'pages cover the segment exactly once')
    t.same(all, [...all].sort(), 'in customer id order')
    const csv = await app.inject({ url: `/segments/${s0.id}/customers`, headers: { accept: 'text/csv' } })
    t.match(csv.headers['content-type'], /^text\/csv/)
    const lines = csv.body.trim().split('\r\n')
    t.equal(lines.length, s0.size + 1, 'one line per member plus the header')
    t.match(lines[0], /^customerId,segmentId,segmentName,distance,outlier,recency_days/)
    t.equal((await app.inject({ url: '/segments/99' })).statusCode, 404)
    t.equal((await app.inject({ url: `/segments/${s0.id}/customers?cursor=garbage` })).statusCode, 400)
  })

  t.test('versions: if-better, always, rollback, history', async (t) => {
    const second = await trainAndWait(app, { datasetIds: [ds.id], seed: 7, activate: 'never' })
    t.equal(second.job.status, 'succeeded')
    const v2 = second.job.modelVersion
    t.equal((await app.inject({ url: '/models/active' })).json().version, 1, 'activate: never leaves the active model')
    t.equal((await app.inject({ url: `/models/${v2}` })).json().status, 'candidate')
    const promoted = await app.inject({ method: 'POST', url: `/models/${v2}/activate`, payload: { reason: 'try seed 7' } })
    t.equal(promoted.statusCode, 200)
    t.equal(promoted.json().status, 'active')
    t.equal((await app.inject({ url: '/predict/customer/12350' })).json().modelVersion, v2, 'served at once')
    const back = await app.inject({ method: 'POST', url: '/models/1/activate', payload: { reason: 'rollback' } })
    t.equal(back.json().status, 'active')
    const history = (await app.inject({ url: '/models/history' })).json()
    t.match(history.slice(0, 3), [{ from: v2, to: 1, reason: 'rollback' }, { from: 1, to: v2, reason: 'try seed 7' }, { from: null, to: 1 }], 'both moves recorded')
    t.equal((await app.inject({ url: `/models/${v2}` })).json().status, 'archived')
    t.equal((await app.inject({ url: `/predict/customer/12350?model=${v2}` })).json().modelVersion, v2, '?model= serves an older version')
    t.equal((await app.inject({ method: 'POST', url: '/models/999/activate', payload: {} })).statusCode, 404)
    const models = (await app.inject({ url: '/models' })).json()
    t.same(models.map((m: { version: number }) => m.version), [v2, 1], 'newest first')
  })

  t.test('seed recipe trains too', async (t) => {
    const { job } = await trainAndWait(app, { recipe: 'seed', k: 3, activate: 'never' })
    t.equal(job.status, 'succeeded', job.error ?? '')
    const m = (await app.inject({ url: `/models/${job.modelVersion}` })).json()
    // Requested by its former name: the model carries the recipe's id (issue 13).
    t.match(m, { recipe: 'original', k: 3, customers: 444 })
  })

  t.test('POST /train: original is the recipe id, seed its alias; a kRange of min > max is a 400', async (t) => {
    const { job } = await trainAndWait(app, { recipe: 'original', k: 3, seed: 5, activate: 'never' })
    t.equal(job.status, 'succeeded', job.error ?? '')
    t.match(job.params, { recipe: 'original', k: 3, seed: 5 })
    const jobs = (await app.inject({ url: '/jobs' })).json() as { params: { recipe: string; k: unknown; seed: number } }[]
    const asAlias = jobs.filter((j) => j.params.k === 3 && j.params.seed === 42)
    t.same(asAlias.map((j) => j.params.recipe), ['original'], 'the job asked for as seed carries the id')
    const bad = await app.inject({ method: 'POST', url: '/train', payload: { kRange: [6, 4] } })
    t.equal(bad.statusCode, 400)
    t.match(bad.json(), { title: 'Bad Request', detail: 'kRange must be [min, max] with min ≤ max', errors: [{ path: 'body.kRange', message: 'min > max' }] })
    t.equal((await app.inject({ method: 'POST', url: '/train', payload: { recipe: 'Seed' } })).statusCode, 400, 'recipe names are case-sensitive')
  })
})
