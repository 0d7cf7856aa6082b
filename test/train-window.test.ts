// Rolling training windows (issue 16 point 1) on the suite's backend: the window's days against
// Postgres' own `date - interval` arithmetic, POST /train's 400s and 422, a windowed version's
// rows checked against SQL on the stored transactions, the same training on transaction batches
// (the CLI's path), and the window shown on GET /models/{v} and in a customer's history.
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { readFileSync } from 'node:fs'
import { backend } from './helpers/db.ts'
import { testApp } from './helpers/app.ts'
import { loadRetailCsvGz } from './helpers/retail-csv.ts'
import { windowProblem, windowStartDay, windowView } from '../src/training/window.ts'
import { modelParams } from '../src/training/params.ts'
import { runTraining, TooLittleData } from '../src/training/train.ts'
import { waitForJob } from './helpers/train.ts'

const PATH = 'test/fixtures/online_retail_sample_445.csv.gz'
const iso = (day: number) => new Date(day * 86_400_000).toISOString().slice(0, 10)
const day = (s: string) => Date.parse(`${s}T00:00:00Z`) / 86_400_000

/** The refusal when POST /train does not accept the body, else the job once it has ended. */
async function train(app: FastifyInstance, payload: object): Promise<any> {
  const res = await app.inject({ method: 'POST', url: '/train', payload })
  return res.statusCode !== 202 ? res : waitForJob(app, res.json().id)
}

t.test('the window rule, by example', async (t) => {
  const from = (asOf: string, w: object) => iso(windowStartDay(day(asOf), w))
  t.equal(from('2011-12-09', { months: 6 }), '2011-06-10', '(asOf − 6 months, asOf]: 2011-06-09 excluded')
  t.equal(from('2011-06-30', { months: 6 }), '2010-12-31')
  t.equal(from('2011-08-31', { months: 6 }), '2011-03-01', 'Feb 31 clamps to Feb 28, excluded')
  t.equal(from('2011-09-30', { months: 6 }), '2011-03-31', 'the day of the month kept: Mar 30 excluded')
  t.equal(from('2012-03-31', { months: 1 }), '2012-03-01', 'leap year: Feb 29 excluded')
  t.equal(from('2011-12-09', { months: 12 }), '2010-12-10')
  t.equal(from('2011-01-15', { months: 13 }), '2009-12-16', 'across two year ends')
  t.equal(from('2011-12-09', { days: 1 }), '2011-12-09', '{days: 1} is asOf alone')
  t.equal(from('2011-12-09', { days: 30 }), '2011-11-10')
  t.same(windowView({ months: 6 }, day('2011-12-09')), { months: 6, from: '2011-06-10', to: '2011-12-09' })
  for (const bad of [{}, { months: 0 }, { months: 1.5 }, { months: 121 }, { days: 3661 }, { months: 1, days: 2 }, { weeks: 2 }]) {
    t.ok(windowProblem(bad as object), `${JSON.stringify(bad)} is refused`)
  }
  t.equal(windowProblem({ months: 120 }), null)
  t.throws(() => modelParams({ window: { months: 0 } }), /window\.months must be an integer from 1 to 120/)
})

t.test(`windowed training through the service on ${backend}`, async (t) => {
  const { app } = await testApp(t)
  const up = await app.inject({ method: 'POST', url: '/datasets', payload: readFileSync(PATH), headers: { 'content-type': 'application/gzip' } })
  t.equal(up.statusCode, 201, up.body.slice(0, 300))
  const datasetId = up.json().id as string

  t.test('the window rule equals Postgres date − interval, over many days', async (t) => {
    const asOfs = Array.from({ length: 80 }, (_, i) => day('2011-01-01') + i * 9)
    const months = [1, 2, 6, 11, 12, 13, 120]
    const rows = await app.db.query<{ as_of: string; n: number; start: string }>(
      `SELECT to_char(a, 'YYYY-MM-DD') AS as_of, n, to_char(a - make_interval(months => n) + interval '1 day', 'YYYY-MM-DD') AS start
         FROM unnest($1::date[]) a, unnest($2::int[]) n`, [asOfs.map(iso), months])
    t.equal(rows.length, asOfs.length * months.length)
    const wrong = rows.filter((r) => iso(windowStartDay(day(r.as_of), { months: r.n })) !== r.start)
    t.same(wrong, [], 'every start day as Postgres computes it')
  })

  t.test('bad windows: 400 problem+json; a window with too few customers: 422', async (t) => {
    for (const window of [{}, { months: 0 }, { months: 2.5 }, { months: 121 }, { days: 0 }, { months: 1, days: 1 }, { weeks: 3 }, 6]) {
      const res = await app.inject({ method: 'POST', url: '/train', payload: { window } })
      t.equal(res.statusCode, 400, `${JSON.stringify(window)}: ${res.body.slice(0, 200)}`)
      t.match(res.headers['content-type'], /application\/problem\+json/)
      t.match(res.json(), { title: 'Bad Request', errors: [{ path: /^body\.window/ }] })
    }
    const counts = await app.db.query<{ d: string; n: number }>(
      `SELECT to_char(invoice_date, 'YYYY-MM-DD') AS d, count(DISTINCT customer_id)::int AS n FROM transactions WHERE customer_id IS NOT NULL GROUP BY 1 ORDER BY 1`)
    const quiet = counts.find((c) => c.n < 10)!
    const few = await app.inject({ method: 'POST', url: '/train', payload: { window: { days: 1 }, asOf: quiet.d } })
    t.equal(few.statusCode, 422, few.body)
    t.match(few.json(), { title: 'Too little data in the window', detail: new RegExp(`${quiet.d} to ${quiet.d}\\) holds invoices of ${quiet.n} customers`), errors: [{ path: 'body.window' }] })
    const before = await app.inject({ method: 'POST', url: '/train', payload: { window: { months: 3 }, asOf: '2009-06-30' } })
    t.equal(before.statusCode, 422, 'a window before the data')
  })

  t.test('a 6-month window: only its rows are cleaned and featurized', async (t) => {
    const asOf = '2011-09-30'
    const job = await train(app, { window: { months: 6 }, asOf, activate: 'always' })
    t.equal(job.status, 'succeeded', JSON.stringify(job.log ?? job))
    t.same(job.params.window, { months: 6 })
    const model = (await app.inject({ url: `/models/${job.modelVersion}` })).json()
    const want = { months: 6, from: '2011-03-31', to: asOf }
    t.equal(model.asOf, asOf)
    t.same(model.window, want, 'GET /models/{v} shows the window and its days')
    t.same(model.report.window, want, 'the report records it')
    t.same((await app.inject({ url: '/models' })).json().find((m: any) => m.version === job.modelVersion).window, want, 'GET /models too')

    // Independently: SQL on the stored rows. The cleaning counts every row from the window's first
    // day on (those after asOf feed the holdout); every trained customer bought in the window.
    const [rows] = await app.db.query<{ n: number }>("SELECT count(*)::int AS n FROM transactions WHERE invoice_date >= '2011-03-31'")
    t.equal(model.cleaning.rowsIn, rows!.n, 'rows in = the rows from 2011-03-31 on')
    const trained = await app.db.query<{ customer_id: string }>('SELECT customer_id FROM assignments WHERE version = $1', [job.modelVersion])
    const inWindow = new Set((await app.db.query<{ customer_id: string }>(
      "SELECT DISTINCT customer_id FROM transactions WHERE customer_id IS NOT NULL AND invoice_date >= '2011-03-31' AND invoice_date < '2011-10-01'")).map((r) => r.customer_id))
    t.ok(trained.length > 100 && trained.length <= inWindow.size, `${trained.length} customers trained, ${inWindow.size} with an invoice in the window`)
    t.same(trained.filter((r) => !inWindow.has(r.customer_id)), [], 'none without an invoice in the window')
    const all = (await app.inject({ url: '/models' })).json()
    t.ok(model.customers < 445, `fewer customers than the whole sample (${model.customers})`)
    t.ok(all.length >= 1)

    // The same training on transaction batches (the CLI's path) gives the same table: to 1e-9
    // relative, since the stored path merges the aggregates' day sums for customers the window
    // cuts (docs/decisions.md, "Training merges the stored aggregates"); bit for bit without a window.
    const params = modelParams({ window: { months: 6 }, asOf })
    const batches = await runTraining({ batches: [loadRetailCsvGz(PATH)] }, params)
    const stored = await runTraining(app.db, { ...params, datasetIds: [datasetId] })
    t.same(batches.table.customerIds, stored.table.customerIds, 'same customers on both paths')
    const a = batches.table.values
    const b = stored.table.values
    const far = a.map((v, i) => Math.abs(v - b[i]!) / Math.max(1, Math.abs(v))).filter((d) => !(d <= 1e-9))
    t.ok(a.length === b.length && far.length === 0, `same features on both paths (${far.length} of ${a.length} beyond 1e-9 relative)`)
    t.same(batches.build.cleaning, stored.build.cleaning, 'same cleaning counts')
    t.equal(batches.window.fromDay, day('2011-03-31'))
    const refused = await runTraining({ batches: [loadRetailCsvGz(PATH)] }, modelParams({ window: { months: 6 } })).catch((err: unknown) => err)
    t.ok(refused instanceof TooLittleData, 'batches need asOf with a window')
    t.match(refused, { message: /give asOf with window/ })

    const someone = trained[0]!.customer_id
    const h = (await app.inject({ url: `/customers/${someone}/history` })).json()
    t.match(h.versions[0], { version: job.modelVersion, asOf, window: want }, 'the history shows the window where it shows asOf')
  })

  t.test('without a window nothing changes: window null, every row cleaned', async (t) => {
    const job = await train(app, { activate: 'never', seed: 3 })
    t.equal(job.status, 'succeeded')
    t.equal(job.params.window, undefined, 'the job params stay as they were')
    const model = (await app.inject({ url: `/models/${job.modelVersion}` })).json()
    t.equal(model.window, null)
    const [rows] = await app.db.query<{ n: number }>('SELECT count(*)::int AS n FROM transactions')
    t.equal(model.cleaning.rowsIn, rows!.n)
  })
})
