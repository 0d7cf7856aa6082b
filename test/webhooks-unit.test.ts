// Webhook signing, target checks and single deliveries, against independent implementations:
// the `standardwebhooks` package verifies our signatures; a local receiver answers each case.
import t from 'tap'
import fc from 'fast-check'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { Webhook } from 'standardwebhooks'
import { newSecret, signDelivery, verifyDelivery, secretKey } from '../src/webhooks/sign.ts'
import { checkTargetUrl, guardedLookup, isPrivateAddress } from '../src/webhooks/target.ts'
import { deliver } from '../src/webhooks/deliver.ts'

t.test('signatures verify with the standardwebhooks package', async (t) => {
  const secret = newSecret()
  t.match(secret, /^whsec_[A-Za-z0-9+/]+=*$/)
  t.equal(secretKey(secret).length, 32)
  // A JSON body: the package checks the timestamp against now, so sign with now.
  const body = JSON.stringify({ type: 'model.activated', data: { version: 3 } })
  const now = Math.floor(Date.now() / 1000)
  const headers = signDelivery(secret, 'msg_1', now, body)
  t.same(new Webhook(secret).verify(body, { ...headers }), JSON.parse(body), 'the package verifies and returns the payload')
  t.throws(() => new Webhook(secret).verify(body + ' ', { ...headers }), 'a changed body fails')
  t.throws(() => new Webhook(newSecret()).verify(body, { ...headers }), 'another secret fails')
  // The package's own signature of the same content is ours, byte for byte.
  const theirs = new Webhook(secret).sign('msg_1', new Date(now * 1000), body)
  t.equal(headers['webhook-signature'], theirs)
})

t.test('property: a signature matches its content and nothing else', async (t) => {
  const secret = newSecret()
  fc.assert(fc.property(fc.string(), fc.string(), fc.string({ minLength: 1 }), fc.integer({ min: 0, max: 4e9 }), (body, other, id, ts) => {
    const headers = signDelivery(secret, id, ts, body)
    return verifyDelivery(secret, headers, body) && (other === body || !verifyDelivery(secret, headers, other))
  }))
  t.pass('held for 100 random bodies')
})

t.test('a malformed secret is refused', async (t) => {
  t.throws(() => secretKey('whsec_short'), RangeError)
  t.throws(() => secretKey('whsec_' + '!'.repeat(40)), RangeError)
})

t.test('internal addresses are refused, public ones allowed', async (t) => {
  for (const a of ['169.254.169.254', '10.0.0.1', '127.0.0.1', '172.16.5.4', '192.168.1.1', '100.64.0.1', '0.0.0.0',
    '::1', '::', 'fe80::1', 'fc00::1', 'fd12:3456::1', '::ffff:10.0.0.1', '::ffff:7f00:1', '224.0.0.1']) {
    t.ok(isPrivateAddress(a), `${a} is internal`)
  }
  for (const a of ['8.8.8.8', '1.1.1.1', '151.101.1.69', '2606:4700:4700::1111', '2a00:1450:4001::1']) {
    t.notOk(isPrivateAddress(a), `${a} is public`)
  }
  for (const url of ['http://169.254.169.254/', 'http://10.0.0.1/', 'http://[::1]:8080/x', 'http://localhost/', 'http://[::ffff:169.254.169.254]/']) {
    t.throws(() => checkTargetUrl(url, false), { name: 'TargetRefused' }, `${url} refused`)
    t.doesNotThrow(() => checkTargetUrl(url, true), `${url} allowed with WEBHOOK_ALLOW_PRIVATE`)
  }
  t.throws(() => checkTargetUrl('ftp://example.com/', true), /http or https/)
  t.throws(() => checkTargetUrl('https://u:p@example.com/', true), /credentials/)
  t.throws(() => checkTargetUrl('not a url', true), /not a URL/)
  t.equal(checkTargetUrl('https://hooks.example.com/in', false).hostname, 'hooks.example.com')
})

t.test('the check holds after DNS resolution', async (t) => {
  const lookup = guardedLookup(false)
  const refused = await new Promise<NodeJS.ErrnoException | null>((resolve) => lookup('localhost', {}, (err) => resolve(err)))
  t.match(refused?.message, /resolves to .* private, loopback or link-local/)
  const allowed = await new Promise<string>((resolve, reject) =>
    guardedLookup(true)('localhost', {}, (err, address) => (err ? reject(err) : resolve(address as string))))
  t.ok(isPrivateAddress(allowed), `localhost resolves to ${allowed} when private targets are allowed`)
})

async function receiver(handler: http.RequestListener) {
  const server = http.createServer(handler)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, close: () => { server.closeAllConnections(); server.close() } }
}

t.test('one delivery: signed body, status, timeout, refusal', async (t) => {
  const secret = newSecret()
  const seen: { headers: http.IncomingHttpHeaders; body: string }[] = []
  let answer = 204
  const r = await receiver((req, res) => {
    let body = ''
    req.on('data', (c) => (body += c))
    req.on('end', () => {
      seen.push({ headers: req.headers, body })
      if (answer === 0) return // hang: never answer
      res.statusCode = answer
      res.end('ok')
    })
  })
  t.teardown(r.close)
  const body = JSON.stringify({ type: 'job.failed', data: { id: 'j1' } })
  const base = { url: r.url, secret, id: 'msg_a', body, timeoutMs: 2000, allowPrivate: true }

  const ok = await deliver(base)
  t.match(ok, { ok: true, status: 204, error: null })
  t.ok(ok.latencyMs >= 0)
  const got = seen[0]!
  t.equal(got.body, body)
  t.equal(got.headers['content-type'], 'application/json')
  t.same(new Webhook(secret).verify(got.body, {
    'webhook-id': got.headers['webhook-id'] as string,
    'webhook-timestamp': got.headers['webhook-timestamp'] as string,
    'webhook-signature': got.headers['webhook-signature'] as string,
  }), JSON.parse(body), 'the receiver verifies the delivery with the standardwebhooks package')

  answer = 500
  t.match(await deliver(base), { ok: false, status: 500, error: null })

  answer = 0
  const hung = await deliver({ ...base, timeoutMs: 300 })
  t.match(hung, { ok: false, status: null, error: /timed out after 300 ms/ })

  t.match(await deliver({ ...base, allowPrivate: false }), { ok: false, status: null, error: /private, loopback or link-local/ })
  t.equal(seen.length, 3, 'the refused delivery never reached the receiver')
})
