// Webhooks end to end on the suite's backend: a training that activates a version tells a
// receiver through the pg-boss `webhook` queue (500 twice, then the third try lands), and a
// receiver that is down does not hold up the training or the activation.
import t from 'tap'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { readFileSync } from 'node:fs'
import type { FastifyInstance } from 'fastify'
import { Webhook } from 'standardwebhooks'
import { backend } from './helpers/db.ts'
import { testApp } from './helpers/app.ts'
import { trainAndWait } from './helpers/train.ts'
import { until } from './helpers/wait.ts'
import { freePort } from './helpers/process.ts'

const SAMPLE = readFileSync('test/fixtures/online_retail_sample_445.csv.gz')

const train = (app: FastifyInstance, body: object) => trainAndWait(app, body, { deadlineMs: 120_000, pollMs: 200 })

t.test(`webhook deliveries through the queue on ${backend}`, async (t) => {
  const { app } = await testApp(t, { webhookAllowPrivate: true, webhookRetryDelaySeconds: 1, webhookTimeoutMs: 2000 })
  const got: { headers: http.IncomingHttpHeaders; body: string }[] = []
  const answers = [500, 500]
  const server = http.createServer((req, res) => {
    let body = ''
    req.on('data', (c) => (body += c))
    req.on('end', () => {
      got.push({ headers: req.headers, body })
      res.statusCode = JSON.parse(body).type === 'model.activated' ? (answers.shift() ?? 204) : 204
      res.end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { server.closeAllConnections(); server.close() })
  const up = (await app.inject({ method: 'POST', url: '/webhooks', payload: { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/in`, events: ['model.activated', 'segments.moved'] } })).json()
  // A receiver that is down: nothing listens on this port.
  const down = (await app.inject({ method: 'POST', url: '/webhooks', payload: { url: `http://127.0.0.1:${await freePort()}/in`, events: ['model.activated'] } })).json()

  t.equal((await app.inject({ method: 'POST', url: '/datasets', payload: SAMPLE, headers: { 'content-type': 'application/gzip' } })).statusCode, 201)
  const job = await train(app, { activate: 'always' })
  t.equal(job.status, 'succeeded', 'the training succeeds with one receiver down')
  t.equal((await app.inject({ url: '/models/active' })).json().version, job.modelVersion, 'and its version is active')

  const delivered = await until('the third attempt', async () => {
    const list = (await app.inject({ url: `/webhooks/${up.id}/deliveries` })).json()
    return list.find((d: { status: string }) => d.status === 'delivered')
  })
  t.match(delivered, { event: 'model.activated', attempts: 3 })
  t.same(delivered.log.map((l: { status: number }) => l.status), [500, 500, 204], 'a receiver answering 500 twice gets the third try')
  const last = got.filter((g) => g.headers['webhook-id'] === delivered.id).at(-1)!
  const payload = new Webhook(up.secret).verify(last.body, {
    'webhook-id': String(last.headers['webhook-id']), 'webhook-timestamp': String(last.headers['webhook-timestamp']), 'webhook-signature': String(last.headers['webhook-signature']),
  })
  t.match(payload, { type: 'model.activated', data: { version: job.modelVersion, previous: null } })

  const failing = await until('attempts at the receiver that is down', async () => {
    const list = (await app.inject({ url: `/webhooks/${down.id}/deliveries` })).json()
    return list[0]?.attempts >= 1 ? list[0] : undefined
  })
  t.match(failing.log[0], { status: null, error: /ECONNREFUSED|connect/ }, 'refused connections are logged and retried')

  // A second version: segments.moved carries the transition counts and the movers link.
  const second = await train(app, { activate: 'always', seed: 7 })
  const moved = await until('segments.moved', async () => got.map((g) => JSON.parse(g.body)).find((b) => b.type === 'segments.moved'))
  t.match(moved.data, { version: second.modelVersion, previous: job.modelVersion, movers: `/models/${second.modelVersion}/movers?from=${job.modelVersion}` })
  const matrix = (await app.inject({ url: `/models/${second.modelVersion}/transitions?from=${job.modelVersion}` })).json()
  t.equal(moved.data.transitions.reduce((s: number, x: { count: number }) => s + x.count, 0), matrix.segments.stayed, 'the counts add up to the customers in both')
})
