// Webhook subscriptions over HTTP and deliveries to a local receiver, on the suite's backend.
// The queue's part (retry timing) is tested with the queue; here each attempt is run directly.
import t from 'tap'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { Webhook } from 'standardwebhooks'
import { backend } from './helpers/db.ts'
import { testApp } from './helpers/app.ts'
import { attemptDelivery, recordEvent, subscribed } from '../src/webhooks/dispatch.ts'
import { EVENTS } from '../src/webhooks/registry.ts'
import { Event } from '../src/schemas/webhooks.ts'

t.test('the schema lists every event', async (t) => {
  t.same(Event.anyOf.map((e: { const: string }) => e.const).sort(), [...EVENTS].sort())
})

t.test(`webhooks on ${backend}: refused targets by default`, async (t) => {
  const { app } = await testApp(t)
  for (const url of ['http://169.254.169.254/latest/meta-data/', 'http://10.0.0.1/', 'http://127.0.0.1:9/', 'http://localhost/x']) {
    const res = await app.inject({ method: 'POST', url: '/webhooks', payload: { url, events: ['model.activated'] } })
    t.equal(res.statusCode, 422, `${url}: 422`)
    t.match(res.json(), { title: 'Webhook target refused', detail: /WEBHOOK_ALLOW_PRIVATE=1/ })
  }
  t.equal((await app.inject({ method: 'POST', url: '/webhooks', payload: { url: 'ftp://example.com/', events: ['job.failed'] } })).statusCode, 422)
  t.equal((await app.inject({ method: 'POST', url: '/webhooks', payload: { url: 'https://example.com/', events: ['nope'] } })).statusCode, 400)
  t.equal((await app.inject({ method: 'POST', url: '/webhooks', payload: { url: 'https://example.com/', events: ['job.failed'], secret: 'whsec_tooshort' } })).statusCode, 400)
  t.same((await app.inject({ url: '/webhooks' })).json(), [], 'nothing stored')
})

t.test(`webhooks on ${backend}: register, deliver, retry, time out, delete`, async (t) => {
  const { app } = await testApp(t, { webhookAllowPrivate: true })
  const got: { headers: http.IncomingHttpHeaders; body: string }[] = []
  const answers: number[] = [500, 500, 200, 0]
  const server = http.createServer((req, res) => {
    let body = ''
    req.on('data', (c) => (body += c))
    req.on('end', () => {
      got.push({ headers: req.headers, body })
      const status = answers.shift() ?? 200
      if (status === 0) return // hang
      res.statusCode = status
      res.end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { server.closeAllConnections(); server.close() })
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`

  const created = await app.inject({ method: 'POST', url: '/webhooks', payload: { url, events: ['model.activated', 'segments.moved'] } })
  t.equal(created.statusCode, 201, created.body)
  const hook = created.json()
  t.match(hook.secret, /^whsec_/)
  t.same(hook.events, ['model.activated', 'segments.moved'])
  const listed = (await app.inject({ url: '/webhooks' })).json()
  t.equal(listed.length, 1)
  t.notOk('secret' in listed[0], 'the secret is shown only at creation')

  t.same(await recordEvent(app.db, 'job.failed', { id: 'x' }), [], 'not subscribed: no delivery')
  // emitActivation computes the segments.moved summary only for a subscriber.
  t.same([await subscribed(app.db, 'segments.moved'), await subscribed(app.db, 'job.failed')], [true, false], 'subscribed: segments.moved yes, job.failed no')
  const [id] = await recordEvent(app.db, 'model.activated', { version: 2, previous: 1 })
  const options = { timeoutMs: 2000, allowPrivate: true, last: false }
  await t.rejects(attemptDelivery(app.db, id!, options), /receiver answered 500/)
  await t.rejects(attemptDelivery(app.db, id!, options), /receiver answered 500/)
  const third = await attemptDelivery(app.db, id!, options)
  t.match(third, { ok: true, status: 200 }, 'a receiver answering 500 twice gets the third try')
  t.equal(await attemptDelivery(app.db, id!, options), null, 'a delivered delivery is not sent again')
  t.equal(got.length, 3)
  t.same(new Set(got.map((g) => g.headers['webhook-id'])), new Set([id]), 'the same webhook-id on every attempt')
  const last = got[2]!
  const payload = new Webhook(hook.secret).verify(last.body, {
    'webhook-id': last.headers['webhook-id'] as string,
    'webhook-timestamp': last.headers['webhook-timestamp'] as string,
    'webhook-signature': last.headers['webhook-signature'] as string,
  })
  t.match(payload, { type: 'model.activated', data: { version: 2, previous: 1 } }, 'verified by the standardwebhooks package')

  const [hung] = await recordEvent(app.db, 'segments.moved', { version: 2 })
  await t.rejects(attemptDelivery(app.db, hung!, { ...options, timeoutMs: 300, last: true }), /timed out after 300 ms/)

  const deliveries = (await app.inject({ url: `/webhooks/${hook.id}/deliveries` })).json()
  t.equal(deliveries.length, 2)
  const byId = new Map(deliveries.map((d: { id: string }) => [d.id, d]))
  t.match(byId.get(id), { status: 'delivered', attempts: 3, event: 'model.activated' })
  t.same((byId.get(id) as { log: { status: number }[] }).log.map((l) => l.status), [500, 500, 200], 'every attempt logged with its status')
  t.ok((byId.get(id) as { log: { latencyMs: number }[] }).log.every((l) => l.latencyMs >= 0), 'and its latency')
  t.match(byId.get(hung), { status: 'failed', attempts: 1, log: [{ status: null, error: /timed out/ }] })

  t.equal((await app.inject({ method: 'DELETE', url: `/webhooks/${hook.id}` })).statusCode, 204)
  t.equal((await app.inject({ method: 'DELETE', url: `/webhooks/${hook.id}` })).statusCode, 404)
  t.equal((await app.inject({ url: `/webhooks/${hook.id}/deliveries` })).statusCode, 404)
  t.equal((await app.inject({ url: '/webhooks/not-a-uuid/deliveries' })).statusCode, 404)
})
