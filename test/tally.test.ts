// The per-request metrics tallied outside prom-client (src/plugins/tally.ts) against prom-client's
// own Counter and Histogram fed the same updates: the /metrics text (what is scraped) must be the
// same. And the constant-time digest comparison of the API keys (src/plugins/auth.ts).
import fc from 'fast-check'
import { Counter, Histogram, Registry } from 'prom-client'
import t from 'tap'
import { sameDigest } from '../src/plugins/auth.ts'
import { FastCounter, FastHistogram } from '../src/plugins/tally.ts'

const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 60]
const route = fc.constantFrom('/predict/customer/:customerId', '/health/live', 'unmatched', 'a "quoted" \\ route')
const update = fc.record({ method: fc.constantFrom('GET', 'POST', 'HEAD'), route, status: fc.constantFrom('200', '401', '404', '503'), seconds: fc.double({ min: 0, max: 100, noNaN: true }), n: fc.integer({ min: 1, max: 5 }) })

t.test('the tallies expose what prom-client would, for any sequence of updates', async (t) => {
  await fc.assert(fc.asyncProperty(fc.array(update, { maxLength: 60 }), async (updates) => {
    const ours = new Registry()
    const theirs = new Registry()
    const c1 = new FastCounter('http_requests_total', 'HTTP requests', ['method', 'route', 'status'], ours)
    const h1 = new FastHistogram('http_request_duration_seconds', 'latency', ['method', 'route'], BUCKETS, ours)
    const p1 = new FastCounter('predictions_total', 'predictions', ['model_version', 'segment'], ours)
    const c2 = new Counter({ name: 'http_requests_total', help: 'HTTP requests', labelNames: ['method', 'route', 'status'], registers: [theirs] })
    const h2 = new Histogram({ name: 'http_request_duration_seconds', help: 'latency', labelNames: ['method', 'route'], buckets: BUCKETS, registers: [theirs] })
    const p2 = new Counter({ name: 'predictions_total', help: 'predictions', labelNames: ['model_version', 'segment'], registers: [theirs] })
    for (const u of updates) {
      c1.labels(u.method, u.route, u.status).inc()
      c2.labels(u.method, u.route, u.status).inc()
      h1.observe(h1.labels(u.method, u.route), u.seconds)
      h2.labels(u.method, u.route).observe(u.seconds)
      p1.inc({ model_version: u.status, segment: u.method }, u.n)
      p2.inc({ model_version: u.status, segment: u.method }, u.n)
    }
    t.equal(await ours.metrics(), await theirs.metrics())
  }), { numRuns: 60 })
})

t.test('hand-computed buckets: cumulative, the bound itself included, +Inf counts all', async (t) => {
  const registry = new Registry()
  const h = new FastHistogram('x', 'x', ['route'], [0.1, 1], registry)
  for (const v of [0.05, 0.1, 0.5, 1, 7]) h.observe(h.labels('/a'), v)
  const lines = (await registry.metrics()).split('\n').filter((l) => l.startsWith('x_'))
  t.same(lines, ['x_bucket{le="0.1",route="/a"} 2', 'x_bucket{le="1",route="/a"} 4', 'x_bucket{le="+Inf",route="/a"} 5', 'x_sum{route="/a"} 8.65', 'x_count{route="/a"} 5'])
  t.throws(() => h.labels('/a', 'extra'), /expected 1 label values/)
  h.reset()
  t.notMatch(await registry.metrics(), /x_bucket/)
})

t.test('sameDigest', async (t) => {
  t.ok(sameDigest('ab12', 'ab12'))
  t.notOk(sameDigest('ab12', 'ab13'))
  t.notOk(sameDigest('ab12', 'ab1'))
  t.ok(sameDigest('', ''))
})
