// Drift and metrics through the service: the training data against itself shows no drift, the
// same customers at four times the prices drift on money, logged predictions can be compared
// over a window, a drift check can queue a retrain, and /metrics is valid Prometheus text.
import { readFileSync } from 'node:fs'
import parsePrometheusTextFormat from 'parse-prometheus-text-format'
import t from 'tap'
import { backend } from './helpers/db.ts'
import { testApp } from './helpers/app.ts'
import { trainAndWait } from './helpers/train.ts'
import { repricedSample } from './helpers/data.ts'

const SAMPLE = readFileSync('test/fixtures/online_retail_sample_445.csv.gz')

t.test(`drift and metrics on ${backend}`, async (t) => {
  const { app } = await testApp(t, { predictionLogSample: 1 })
  const sample = (await app.inject({ method: 'POST', url: '/datasets', payload: SAMPLE, headers: { 'content-type': 'application/gzip' } })).json()
  t.equal((await trainAndWait(app, {})).status, 'succeeded')

  t.test('the training data against itself: no drift', async (t) => {
    const res = await app.inject({ url: `/drift?datasetId=${sample.id}` })
    t.equal(res.statusCode, 200, res.body.slice(0, 300))
    const d = res.json()
    t.match(d, { modelVersion: 1, source: { datasetId: sample.id }, referenceSize: 444, currentSize: 444, regime: 'tests', datasetDrift: false })
    t.same(d.features.filter((f: any) => f.drifted).map((f: any) => f.feature), [], 'no feature drifted')
    t.ok(d.features.every((f: any) => f.psiBand === 'none'), 'PSI below 0.1 everywhere')
    t.equal(d.segments.shifted, false, 'segment shares unchanged')
    t.equal(d.fit.nearestDistance.outside, false)
    t.match(d.recommendation, /No drift/)
    t.ok(d.features.some((f: any) => f.method === 'ks') && d.features.some((f: any) => f.method === 'z'), 'KS for numeric, Z-test for binary (reference ≤ 1,000 customers)')
  })

  t.test('the same customers at four times the prices: money drifts, and datasetDrift follows the rule', async (t) => {
    const pricey = (await app.inject({ method: 'POST', url: '/datasets', payload: repricedSample(4), headers: { 'content-type': 'text/csv' } })).json()
    const d = (await app.inject({ url: `/drift?datasetId=${pricey.id}` })).json()
    const drifted = d.features.filter((f: any) => f.drifted).map((f: any) => f.feature)
    t.ok(drifted.includes('monetary') && drifted.includes('avg_order_value'), `monetary features drifted: ${drifted.join(', ')}`)
    t.notOk(drifted.includes('frequency') || drifted.includes('recency_days'), 'counts and recency did not')
    t.equal(d.datasetDrift, d.driftShare >= 0.5, `datasetDrift (${d.datasetDrift}) = share ${d.driftShare.toFixed(3)} ≥ 0.5`)
    const strict = (await app.inject({ url: `/drift?datasetId=${pricey.id}&driftShare=0.1` })).json()
    t.equal(strict.datasetDrift, true, 'with a lower share threshold the dataset counts as drifted')
    t.match(d.recommendation, /Monetary/)

    const check = await app.inject({ method: 'POST', url: '/drift/check', payload: { datasetId: pricey.id, retrainOnDrift: true } })
    t.equal(check.statusCode, 200, check.body.slice(0, 300))
    t.match(check.json(), { retrain: { status: 'queued', params: { recipe: 'default' } }, reason: /retrain queued on 2 dataset/ })
    const quiet = (await app.inject({ method: 'POST', url: '/drift/check', payload: { datasetId: sample.id, retrainOnDrift: true } })).json()
    t.same({ retrain: quiet.retrain, reason: quiet.reason }, { retrain: null, reason: 'no drift: nothing to do' })
  })

  t.test('drift over the predictions logged in a window', async (t) => {
    const ids = (await app.db.query<{ customer_id: string }>('SELECT customer_id FROM assignments WHERE version = 1')).map((r) => r.customer_id)
    await app.inject({ method: 'POST', url: '/predict/customers', payload: { customerIds: ids } })
    await app.predictionLog.flush()
    const d = (await app.inject({ url: '/drift?window=1h&model=1' })).json()
    t.match(d, { source: { window: '1h' }, currentSize: ids.length, datasetDrift: false })
    t.equal((await app.inject({ url: '/drift?window=1h&datasetId=' + sample.id })).statusCode, 400, 'window and datasetId together: 400')
  })

  t.test('/metrics is Prometheus text with the named series', async (t) => {
    await app.inject({ url: '/predict/customer/12350' })
    const res = await app.inject({ url: '/metrics' })
    t.equal(res.statusCode, 200)
    t.match(res.headers['content-type'], /^text\/plain/)
    const families = parsePrometheusTextFormat(res.body) as { name: string; type: string; metrics: any[] }[]
    const byName = new Map(families.map((f) => [f.name, f]))
    for (const name of ['process_cpu_user_seconds_total', 'nodejs_heap_size_used_bytes', 'http_requests_total', 'http_request_duration_seconds',
      'retail_segments_predictions_total', 'retail_segments_jobs', 'retail_segments_training_duration_seconds', 'retail_segments_active_model_info']) {
      t.ok(byName.has(name), `has ${name}`)
    }
    t.equal(byName.get('http_request_duration_seconds')!.type, 'HISTOGRAM')
    const predicted = byName.get('retail_segments_predictions_total')!.metrics.reduce((a: number, m: any) => a + Number(m.value), 0)
    t.ok(predicted >= 445, `predictions counted (${predicted})`)
    t.ok(byName.get('http_requests_total')!.metrics.some((m: any) => m.labels.route === '/predict/customer/:customerId'), 'per route')
    t.match(byName.get('retail_segments_active_model_info')!.metrics[0].labels, { version: '1', recipe: 'default' })
    t.ok(byName.get('retail_segments_jobs')!.metrics.some((m: any) => m.labels.status === 'succeeded' && Number(m.value) >= 1))
  })
})
