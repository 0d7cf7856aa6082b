// The product's acceptance figures on the full UCI Online Retail file (test/fixtures): the
// original's cleaning counts, the default recipe's quality bars, the README's figures, and predictions that agree with training for all 4,362
// customers, by id, by raw features and by raw transactions.
import { readFileSync } from 'node:fs'
import type { FastifyInstance } from 'fastify'
import t from 'tap'
import { backend } from './helpers/db.ts'
import { testApp } from './helpers/app.ts'
import { trainAndWait } from './helpers/train.ts'
import { FULL_DATA } from './helpers/data.ts'

const FULL = FULL_DATA

/** A two-column table of the README's "On the real data" section, as label → number. */
function readmeFigures(header: string): Map<string, number> {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
  const lines = readme.slice(readme.indexOf(header)).split('\n').slice(2)
  const figures = new Map<string, number>()
  for (const line of lines.slice(0, lines.findIndex((l) => !l.startsWith('|')))) {
    const [label, value] = line.split('|').slice(1, 3).map((c) => c.trim()) as [string, string]
    figures.set(label, Number(value.replace(/,/g, '')))
  }
  return figures
}

const train = (app: FastifyInstance, body: object) => trainAndWait(app, body, { pollMs: 200 })

t.test(`full UCI data on ${backend}`, async (t) => {
  const { app } = await testApp(t)
  const up = await app.inject({ method: 'POST', url: '/datasets', payload: readFileSync(FULL), headers: { 'content-type': 'application/gzip' } })
  t.equal(up.statusCode, 201)

  const job = await train(app, { recipe: 'default' })
  t.equal(job.status, 'succeeded', job.error ?? '')
  const model = (await app.inject({ url: `/models/${job.modelVersion}` })).json()

  t.test('cleaning: the original\'s counts, rule by rule', async (t) => {
    t.equal(model.cleaning.rowsIn, 541909)
    t.same(model.cleaning.steps.map((s: any) => s.rowsAfter), [406829, 401550, 401550, 399682, 399599, 399567])
    t.equal(model.cleaning.customers, 4362)
  })

  t.test('default recipe: every customer segmented, quality bars met', async (t) => {
    t.equal(model.customers, 4362, 'all 4,362 customers, refund-only and biggest accounts included')
    t.ok(model.k >= 3, `k = ${model.k}`)
    t.ok(model.metrics.logRfmSilhouette >= 0.3, `log-RFM silhouette ${model.metrics.logRfmSilhouette.toFixed(4)} ≥ 0.30`)
    t.ok(model.metrics.stability >= 0.9, `bootstrap stability ${model.metrics.stability.toFixed(3)} ≥ 0.90`)
    const k2 = model.report.kScan.find((e: any) => e.k === 2)
    t.ok(k2, 'the k scan shows what the data argues at k = 2')
    t.comment(`k = 2 would score silhouette ${k2?.silhouette.toFixed(4)}, stability ${k2?.stability.toFixed(3)}`)
    const segs = (await app.inject({ url: '/segments' })).json()
    t.ok(segs.every((s: any) => s.share >= 0.02), `smallest segment ${Math.min(...segs.map((s: any) => s.share)).toFixed(3)} ≥ 2 %`)
    const assigned = await app.db.query<{ n: number }>('SELECT count(*)::int AS n FROM assignments WHERE version = $1', [model.version])
    t.equal(assigned[0]?.n, 4362)
    const best = segs.find((s: any) => s.name === 'Champions')
    t.ok(best, 'a segment is named for the best customers')
    const median = (s: any, f: string) => s.profile[f].median
    t.equal(Math.min(...segs.map((s: any) => median(s, 'recency_days'))), median(best, 'recency_days'), 'Champions: lowest median recency')
    t.equal(Math.max(...segs.map((s: any) => median(s, 'monetary'))), median(best, 'monetary'), 'Champions: highest median monetary')
  })

  t.test("the README's figures", async (t) => {
    const cleaning = [...readmeFigures('| cleaning rule | rows after |').values()]
    t.same(cleaning, [model.cleaning.rowsIn, ...model.cleaning.steps.map((s: any) => s.rowsAfter)], 'cleaning table = the model\'s cleaning report')
    const figures = readmeFigures('| model figure | value |')
    t.equal(figures.get('customers segmented'), model.customers)
    t.equal(figures.get('k (chosen by silhouette under the stability rule)'), model.k)
    // Printed to three decimals: equal within half a unit of the last digit.
    t.ok(Math.abs(figures.get('log-RFM silhouette')! - model.metrics.logRfmSilhouette) <= 0.0005, `log-RFM silhouette ${model.metrics.logRfmSilhouette}`)
    t.ok(Math.abs(figures.get('bootstrap stability')! - model.metrics.stability) <= 0.0005, `stability ${model.metrics.stability}`)
  })

  t.test('the same seed gives a bit-identical model', async (t) => {
    // Same data, params and previous (active) model: two runs must store the same bytes.
    const body = { recipe: 'default', activate: 'never', seed: 42, datasetIds: model.datasetIds }
    const one = await train(app, body)
    const two = await train(app, body)
    t.same([one.status, two.status], ['succeeded', 'succeeded'])
    const bundles = await app.db.query<{ version: number; bundle: string }>('SELECT version, bundle::text AS bundle FROM model_versions WHERE version = ANY($1::int[]) ORDER BY version', [[one.modelVersion, two.modelVersion]])
    t.equal(bundles.length, 2)
    t.equal(bundles[0]!.bundle, bundles[1]!.bundle, 'identical bundles')
  })

  t.test('predictions agree with training for all 4,362 customers', async (t) => {
    const rows = await app.db.query<{ customer_id: string; segment: number }>('SELECT customer_id, segment FROM assignments WHERE version = $1 ORDER BY customer_id', [model.version])
    const byId = (await app.inject({ method: 'POST', url: '/predict/customers', payload: { customerIds: rows.map((r) => r.customer_id) } })).json().predictions
    t.same(byId.map((p: any) => p.segment.id), rows.map((r) => r.segment), 'by id = training assignment')
    const byFeatures = (await app.inject({ method: 'POST', url: '/predict/customers', payload: { items: byId.map((p: any) => ({ features: p.features })) } })).json().predictions
    t.same(byFeatures.map((p: any) => p.segment.id), rows.map((r) => r.segment), 'by raw features = by id')

    const tx = await app.db.query<Record<string, unknown>>(
      `SELECT invoice_no AS "InvoiceNo", stock_code AS "StockCode", description AS "Description", quantity AS "Quantity",
              to_char(invoice_date, 'YYYY-MM-DD HH24:MI:SS') AS "InvoiceDate", unit_price AS "UnitPrice", customer_id AS "CustomerID", country AS "Country"
         FROM transactions WHERE customer_id IS NOT NULL ORDER BY customer_id COLLATE "C", line`)
    const grouped = new Map<string, Record<string, unknown>[]>()
    for (const r of tx) {
      const id = r.CustomerID as string
      let list = grouped.get(id)
      if (!list) grouped.set(id, (list = []))
      list.push(r)
    }
    const segments: number[] = []
    for (let i = 0; i < rows.length; i += 400) {
      const items = rows.slice(i, i + 400).map((r) => ({ transactions: grouped.get(r.customer_id)! }))
      const res = await app.inject({ method: 'POST', url: '/predict/customers', payload: { items } })
      segments.push(...res.json().predictions.map((p: any) => p.segment?.id ?? -1))
    }
    t.same(segments, rows.map((r) => r.segment), 'by raw transactions = by id')
  })
})
