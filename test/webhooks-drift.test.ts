// drift.detected end to end on the suite's backend: POST /drift/check on data that drifted tells
// a local receiver (signed, verified with the standardwebhooks package) with the version, the
// drifted features and their share, the retrain it queued and a link that gives the same report
// from GET /drift; a check that finds no drift, and GET /drift itself, tell nobody.
import t from 'tap'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { readFileSync } from 'node:fs'
import type { FastifyInstance } from 'fastify'
import { Webhook } from 'standardwebhooks'
import { backend } from './helpers/db.ts'
import { testApp } from './helpers/app.ts'
import { trainAndWait } from './helpers/train.ts'
import { repricedSample } from './helpers/data.ts'
import { until } from './helpers/wait.ts'

const SAMPLE = readFileSync('test/fixtures/online_retail_sample_445.csv.gz')

const train = (app: FastifyInstance): Promise<any> => trainAndWait(app, { activate: 'always' }, { deadlineMs: 120_000 })

t.test(`drift.detected through the queue on ${backend}`, async (t) => {
  const { app } = await testApp(t, { webhookAllowPrivate: true, webhookRetryDelaySeconds: 1, webhookTimeoutMs: 2000 })
  const got: { headers: http.IncomingHttpHeaders; body: string }[] = []
  const server = http.createServer((req, res) => {
    let body = ''
    req.on('data', (c) => (body += c))
    req.on('end', () => {
      got.push({ headers: req.headers, body })
      res.statusCode = 204
      res.end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { server.closeAllConnections(); server.close() })
  const hook = (await app.inject({ method: 'POST', url: '/webhooks', payload: { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/in`, events: ['drift.detected'] } })).json()

  const sample = (await app.inject({ method: 'POST', url: '/datasets', payload: SAMPLE, headers: { 'content-type': 'application/gzip' } })).json()
  const job = await train(app)
  t.equal(job.status, 'succeeded')

  const quiet = (await app.inject({ method: 'POST', url: '/drift/check', payload: { datasetId: sample.id } })).json()
  t.equal(quiet.reason, 'no drift: nothing to do')
  const pricey = (await app.inject({ method: 'POST', url: '/datasets', payload: repricedSample(4), headers: { 'content-type': 'text/csv' } })).json()
  t.equal((await app.inject({ url: `/drift?datasetId=${pricey.id}` })).statusCode, 200, 'GET /drift on the drifted data')

  const res = await app.inject({ method: 'POST', url: '/drift/check', payload: { datasetId: pricey.id, retrainOnDrift: true, activate: 'never' } })
  t.equal(res.statusCode, 200, res.body.slice(0, 300))
  const check = res.json()
  t.match(check.reason, /^drift found: retrain queued/)

  const delivery = await until('the delivery', async () => {
    const list = (await app.inject({ url: `/webhooks/${hook.id}/deliveries` })).json()
    return list.find((d: { status: string }) => d.status === 'delivered')
  })
  t.match(delivery, { event: 'drift.detected', attempts: 1 })
  const last = got.find((g) => g.headers['webhook-id'] === delivery.id)!
  const payload = new Webhook(hook.secret).verify(last.body, {
    'webhook-id': String(last.headers['webhook-id']), 'webhook-timestamp': String(last.headers['webhook-timestamp']), 'webhook-signature': String(last.headers['webhook-signature']),
  }) as any
  t.equal(payload.type, 'drift.detected')
  const d = check.drift
  const drifted = d.features.filter((f: { drifted: boolean }) => f.drifted)
  t.same(payload.data, {
    version: job.modelVersion,
    datasetId: pricey.id,
    datasetDrift: d.datasetDrift,
    driftShare: d.driftShare,
    driftShareThreshold: d.driftShareThreshold,
    features: d.features.length,
    drifted: drifted.map((f: any) => ({ feature: f.feature, method: f.method, statistic: f.statistic, psi: f.psi, psiBand: f.psiBand })),
    segmentsShifted: d.segments.shifted,
    retrain: { id: check.retrain.id, job: `/jobs/${check.retrain.id}` },
    report: `/drift?model=${job.modelVersion}&datasetId=${pricey.id}`,
  }, 'the version, what drifted and the retrain, as the check answered')
  t.ok(payload.data.drifted.some((f: { feature: string }) => f.feature === 'monetary'), 'monetary drifted')
  t.equal(payload.data.drifted.length / payload.data.features, payload.data.driftShare, 'the share is the drifted features over all')
  const linked = (await app.inject({ url: payload.data.report })).json()
  t.same(linked, d, 'the link gives the same report')

  // Every delivery of the subscription: exactly the one drifted check (the quiet check and GET /drift told nobody).
  const all = (await app.inject({ url: `/webhooks/${hook.id}/deliveries` })).json()
  t.same(all.map((x: { event: string }) => x.event), ['drift.detected'])
  t.equal(got.length, 1)
})
