// Property-based fuzzing (fast-check) of the upload route and of every JSON route, through the
// whole app on the suite's backend, with a trained model in place. For any input:
// - never a 5xx, and every error is application/problem+json with its status in the body;
// - an upload stores a dataset and its rows only when it answers 201 (the row count then grows by
//   exactly rows.accepted), never a part of one;
// - afterwards the service is ready and still predicts.
// FUZZ_RUNS=<factor> scales the number of runs (1 by default: about 2,800 requests); a failure
// prints fast-check's seed and path, which FUZZ_SEED=<seed> replays.
import { readFileSync } from 'node:fs'
import { gunzipSync, gzipSync } from 'node:zlib'
import ExcelJS from 'exceljs'
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import fc from 'fast-check'
import t from 'tap'
import { buildApp } from '../src/app.ts'
import { backend, freshConfig } from './helpers/db.ts'
import { trainAndWait } from './helpers/train.ts'

const FACTOR = Number(process.env.FUZZ_RUNS ?? 1)
const runs = (n: number) => Math.max(1, Math.round(n * FACTOR))
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED)
const params = (n: number) => ({ numRuns: runs(n), ...(SEED === undefined ? {} : { seed: SEED }) })

const COLUMNS = ['InvoiceNo', 'StockCode', 'Description', 'Quantity', 'InvoiceDate', 'UnitPrice', 'CustomerID', 'Country']
const COLUMNS_II = ['Invoice', 'StockCode', 'Description', 'Quantity', 'InvoiceDate', 'Price', 'Customer ID', 'Country']
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'
const CONTENT_TYPES = [
  'text/csv', 'text/csv; charset=utf-8', 'text/csv; charset=iso-8859-1', 'text/plain', 'application/gzip', 'application/x-gzip', 'application/zip',
  XLSX, 'application/vnd.ms-excel', 'application/octet-stream', 'application/json', 'application/problem+json', 'application/x-www-form-urlencoded',
  'multipart/form-data', 'multipart/form-data; boundary=fuzz', 'text/html', '*/*', '', 'garbage', 'text/csv; boundary=', 'application/',
]
const ENCODINGS = [undefined, undefined, undefined, 'gzip', 'x-gzip', 'identity', 'br', 'deflate', 'gzip, gzip', '']

interface Fails {
  fail(message: string): unknown
}

/** Checks that hold for any response. */
function checkResponse(t: Fails, res: LightMyRequestResponse, what: string, head = false): boolean {
  const ok5xx = res.statusCode < 500
  if (!ok5xx) t.fail(`${what}: ${res.statusCode} ${res.body.slice(0, 300)}`)
  if (res.statusCode >= 400 && head) {
    if (!String(res.headers['content-type']).startsWith('application/problem+json')) t.fail(`${what}: error ${res.statusCode} is not problem+json`)
  } else if (res.statusCode >= 400) {
    const type = String(res.headers['content-type'] ?? '')
    let body: { status?: number; title?: string; detail?: string } = {}
    try {
      body = JSON.parse(res.body)
    } catch { /* checked below */ }
    if (!type.startsWith('application/problem+json') || body.status !== res.statusCode || typeof body.detail !== 'string') {
      t.fail(`${what}: error ${res.statusCode} is not problem+json: ${type} ${res.body.slice(0, 300)}`)
      return false
    }
  }
  return ok5xx
}

t.test(`fuzzing the API on ${backend}`, { timeout: 300_000 }, async (t) => {
  // A model to predict with: train once with the inline worker, then fuzz an app without one,
  // so that a random but valid POST /train only queues a job.
  const config = await freshConfig(t, { rateLimitMax: 0 })
  const trainer = await buildApp(config, { logger: false, worker: { pollMs: 50 } })
  const sample = readFileSync('test/fixtures/online_retail_sample_445.csv.gz')
  const ds = await trainer.inject({ method: 'POST', url: '/datasets?name=sample', payload: sample, headers: { 'content-type': 'application/gzip' } })
  t.equal(ds.statusCode, 201)
  const job = await trainAndWait(trainer, { k: 3, seed: 1 }, { deadlineMs: 120_000 })
  await trainer.close()

  const app: FastifyInstance = await buildApp({ ...config, worker: 'off' }, { logger: false })
  t.teardown(() => app.close())
  await app.ready()
  const active = (await app.inject({ url: '/models/active' })).json()
  t.equal(active.version, 1, 'a trained model is active')
  const knownIds = (await app.inject({ url: '/segments/0/customers?limit=50' })).json().items.map((i: { customerId: string }) => i.customerId) as string[]
  const datasetId = ds.json().id as string

  const counts = async () => {
    const [row] = await app.db.query<{ d: number; r: number }>('SELECT (SELECT count(*) FROM datasets)::int AS d, (SELECT count(*) FROM transactions)::int AS r')
    return row!
  }
  let requests = 0
  const inject = async (opts: InjectOptions) => {
    requests++
    return app.inject(opts)
  }

  // --------------------------------------------------------------- uploads

  const statuses = new Map<number, number>()
  async function upload(t: Fails, body: Buffer, headers: Record<string, string>, what: string): Promise<boolean> {
    const before = await counts()
    const res = await inject({ method: 'POST', url: '/datasets', payload: body, headers })
    statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1)
    if (!checkResponse(t, res, what)) return false
    const after = await counts()
    if (res.statusCode === 201) {
      const accepted = res.json().rows.accepted as number
      if (after.d !== before.d + 1 || after.r !== before.r + accepted) {
        t.fail(`${what}: 201 with ${accepted} rows, but datasets ${before.d}→${after.d}, rows ${before.r}→${after.r}`)
        return false
      }
    } else if (after.d !== before.d || after.r !== before.r) {
      t.fail(`${what}: ${res.statusCode} yet datasets ${before.d}→${after.d}, rows ${before.r}→${after.r}`)
      return false
    }
    return true
  }

  const headersArb = fc.record({
    type: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...CONTENT_TYPES) }, { weight: 1, arbitrary: fc.string({ maxLength: 40 }) }),
    encoding: fc.constantFrom(...ENCODINGS),
  })
  const toHeaders = (h: { type: string; encoding: string | undefined }) => {
    const headers: Record<string, string> = {}
    // Header values must be printable; anything else is refused by the HTTP layer before us.
    const type = h.type.replace(/[^\x20-\x7e]/g, '')
    if (type !== '') headers['content-type'] = type
    if (h.encoding !== undefined) headers['content-encoding'] = h.encoding
    return headers
  }

  await t.test('random bytes with random content types', async (t) => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 3000 }), headersArb, async (bytes, h) => upload(t, Buffer.from(bytes), toHeaders(h), `random ${bytes.length} bytes as ${JSON.stringify(h)}`)),
      params(200),
    )
  })

  // CSV-ish text: real or mangled headers, cells of every kind, quotes, separators, encodings.
  const cell = fc.oneof(
    fc.integer({ min: -1e6, max: 1e6 }).map(String),
    fc.double({ noNaN: false }).map(String),
    fc.constantFrom('2010-12-01 08:26:00', '12/1/2010 8:26', '01/12/2010 08:26', '40513.5625', '2011-13-45 25:61:00', '', 'NaN', '1e309', '-0', '0x1F'),
    fc.constantFrom('17850', '17850.0', 'C536379', '85123A', 'United Kingdom', 'WHITE HANGING HEART', '=HYPERLINK("x")', '"', '""', 'a,b', 'line\nbreak', '\r', '\t'),
    fc.string({ maxLength: 30 }),
    fc.string({ unit: 'binary', maxLength: 20 }),
  )
  const headerArb = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(COLUMNS, COLUMNS_II) },
    { weight: 2, arbitrary: fc.shuffledSubarray(COLUMNS, { minLength: 5 }).map((c) => c.map((n) => (n.length % 2 ? n.toUpperCase() : ` ${n.toLowerCase()} `))) },
    { weight: 1, arbitrary: fc.array(fc.string({ maxLength: 12 }), { minLength: 1, maxLength: 10 }) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom(COLUMNS), fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 })).map(([a, b]) => [...a, ...b]) },
  )
  const csvArb = fc.record({
    header: headerArb,
    rows: fc.array(fc.array(cell, { minLength: 0, maxLength: 11 }), { maxLength: 40 }),
    validRows: fc.nat({ max: 20 }),
    sep: fc.constantFrom(',', ',', ',', ';', '\t'),
    eol: fc.constantFrom('\n', '\r\n', '\r'),
    quoteAll: fc.boolean(),
    encoding: fc.constantFrom('utf8', 'utf8', 'utf8-bom', 'latin1', 'utf16le-bom', 'utf16le'),
    gzip: fc.boolean(),
  })
  const quote = (v: string, sep: string, all: boolean) => (all || v.includes(sep) || /["\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v)

  await t.test('random CSV-ish text', async (t) => {
    await fc.assert(
      fc.asyncProperty(csvArb, fc.integer({ min: 0, max: 1e9 }), async (c, salt) => {
        const good = Array.from({ length: c.validRows }, (_, i) => [`5${salt % 100000}${i}`, '85123A', 'HEART', String(1 + i), '2010-12-01 08:26:00', '2.55', String(12346 + i), 'France'])
        const lines = [c.header, ...good, ...c.rows].map((r) => r.map((v) => quote(v, c.sep, c.quoteAll)).join(c.sep))
        const text = lines.join(c.eol)
        let body: Buffer
        if (c.encoding === 'utf8-bom') body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)])
        else if (c.encoding === 'utf16le-bom') body = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')])
        else body = Buffer.from(text, c.encoding as BufferEncoding)
        const headers: Record<string, string> = { 'content-type': 'text/csv' }
        if (c.gzip) {
          body = gzipSync(body)
          headers['content-encoding'] = 'gzip'
        }
        return upload(t, body, headers, `CSV ${JSON.stringify(c).slice(0, 300)}`)
      }),
      params(200),
    )
  })

  // Truncated and corrupted containers: a good gzip and a good workbook, then damaged.
  const csv = gunzipSync(sample).toString('utf8').split('\n').slice(0, 300).join('\n')
  const goodGzip = gzipSync(Buffer.from(csv))
  const wb = new ExcelJS.Workbook()
  const ws = wb.addWorksheet('Online Retail')
  ws.addRow(COLUMNS)
  for (let i = 0; i < 60; i++) ws.addRow([String(540000 + i), '85123A', 'WHITE HANGING HEART', 6, new Date(Date.UTC(2011, 0, 1 + (i % 28), 8, 26)), 2.55, 13000 + i, 'United Kingdom'])
  const goodXlsx = Buffer.from(await wb.xlsx.writeBuffer())
  const damage = (good: Buffer) =>
    fc.oneof(
      fc.nat({ max: good.length - 1 }).map((n) => ({ how: `truncated at ${n}`, bytes: good.subarray(0, n) })),
      fc.array(fc.tuple(fc.nat({ max: good.length - 1 }), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 8 }).map((flips) => {
        const bytes = Buffer.from(good)
        for (const [at, x] of flips) bytes[at]! ^= x
        return { how: `flipped ${JSON.stringify(flips)}`, bytes }
      }),
      fc.tuple(fc.nat({ max: good.length - 1 }), fc.uint8Array({ minLength: 1, maxLength: 200 })).map(([at, junk]) => ({
        how: `junk at ${at}`,
        bytes: Buffer.concat([good.subarray(0, at), Buffer.from(junk), good.subarray(at)]),
      })),
    )

  await t.test('truncated and corrupted gzip', async (t) => {
    await fc.assert(
      fc.asyncProperty(damage(goodGzip), fc.constantFrom<Record<string, string>>({ 'content-type': 'application/gzip' }, { 'content-type': 'text/csv', 'content-encoding': 'gzip' }, { 'content-type': 'text/csv' }), async (d, headers) =>
        upload(t, d.bytes, headers, `gzip ${d.how}`)),
      params(150),
    )
  })

  await t.test('truncated and corrupted xlsx (zip)', async (t) => {
    await fc.assert(
      fc.asyncProperty(damage(goodXlsx), fc.constantFrom(XLSX, 'application/zip', 'application/octet-stream'), async (d, type) => upload(t, d.bytes, { 'content-type': type }, `xlsx ${d.how}`)),
      params(100),
    )
  })

  await t.test('random multipart bodies', async (t) => {
    const part = fc.record({
      name: fc.constantFrom('file', 'file', 'other', '', 'fi"le'),
      filename: fc.option(fc.constantFrom('a.csv', 'b.xlsx', '../../etc/passwd', '', 'x\r\ny')),
      type: fc.constantFrom('text/csv', XLSX, 'application/gzip', 'application/json', ''),
      body: fc.oneof(fc.constant(goodGzip.subarray(0, 500)), fc.constant(Buffer.from(csv.slice(0, 2000))), fc.uint8Array({ maxLength: 500 }).map((b) => Buffer.from(b))),
    })
    await fc.assert(
      fc.asyncProperty(fc.array(part, { maxLength: 3 }), fc.constantFrom('fuzzb', '', 'a b', 'x'.repeat(80)), fc.boolean(), async (parts, boundary, close) => {
        const chunks: Buffer[] = []
        for (const p of parts) {
          const disposition = `form-data; name="${p.name}"${p.filename === null ? '' : `; filename="${p.filename}"`}`
          chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}\r\n${p.type ? `Content-Type: ${p.type}\r\n` : ''}\r\n`), p.body, Buffer.from('\r\n'))
        }
        if (close) chunks.push(Buffer.from(`--${boundary}--\r\n`))
        return upload(t, Buffer.concat(chunks), { 'content-type': `multipart/form-data; boundary=${boundary}` }, `multipart ${JSON.stringify(parts.map((p) => ({ ...p, body: p.body.length })))}`)
      }),
      params(100),
    )
  })

  // --------------------------------------------------------------- JSON routes

  const id = fc.oneof(
    fc.uuid().map(String),
    fc.integer({ min: -5, max: 1e12 }).map(String),
    fc.string({ minLength: 1, maxLength: 40 }),
    fc.constantFrom(datasetId, job.id as string, '1', '0', '-1', '1.5', '1e3', '1e400', 'Infinity', '-Infinity', '2147483648', 'NaN', '%', '..', "1' OR '1'='1", '1;DROP TABLE jobs', 'null', '[]'),
  )
  const segment = (s: string) => encodeURIComponent(s)
  const json = fc.jsonValue({ maxDepth: 4 })
  const predictItem = fc.oneof(
    fc.record({ customerId: fc.oneof(fc.constantFrom(...knownIds), fc.string(), fc.integer()) }),
    fc.record({ features: fc.dictionary(fc.oneof(fc.constantFrom('recency', 'frequency', 'monetary', 'tenure'), fc.string()), fc.oneof(fc.double(), fc.integer(), fc.string())) }),
    fc.record({
      transactions: fc.array(fc.dictionary(fc.constantFrom(...COLUMNS, 'x'), fc.oneof(cell, fc.double(), fc.constant(null))), { minLength: 0, maxLength: 20 }),
    }),
    json,
  )
  const bodies: Record<string, fc.Arbitrary<unknown>> = {
    '/train': fc.oneof(json, fc.record({ datasetIds: fc.array(fc.oneof(fc.constant(datasetId), fc.uuid().map(String), fc.string())), recipe: fc.string(), k: fc.oneof(fc.integer(), fc.constant('auto')), kRange: fc.array(fc.integer({ min: -3, max: 30 })), seed: fc.integer(), activate: fc.constantFrom('always', 'never', 'if-better', 'x') }, { requiredKeys: [] })),
    '/predict/customer': predictItem,
    '/predict/customers': fc.oneof(fc.record({ customerIds: fc.array(fc.oneof(fc.constantFrom(...knownIds), fc.string()), { maxLength: 30 }) }), fc.record({ items: fc.array(predictItem, { maxLength: 10 }) }), json),
    '/models/{v}/activate': fc.oneof(json, fc.record({ reason: fc.oneof(fc.string(), fc.integer()) }, { requiredKeys: [] })),
    '/jobs/{id}/cancel': json,
    '/drift/check': json,
  }
  const rawBody = fc.oneof(
    { weight: 6, arbitrary: fc.constant(null) },
    { weight: 1, arbitrary: fc.string({ maxLength: 60 }) },
    {
      weight: 1,
      arbitrary: fc.constantFrom('', '{', '{"a":', '[1,2', 'nul', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{"x":1}}}', '\u0000', '{"customerId":"\\ud800"}',
        '{"seed":1e400}', '{"k":-1e400}', '{"kRange":[1e400,3]}', '{"features":{"recency":1e400,"frequency":-1e400,"monetary":1}}', '{"items":[{"features":{"recency":1e308,"frequency":1e308}}]}',
        '{"transactions":[{"InvoiceNo":"1","StockCode":"A","Description":"x","Quantity":1e400,"InvoiceDate":"2010-12-01 08:26:00","UnitPrice":1e400,"CustomerID":"1","Country":"UK"}]}'),
    },
  )
  // Cursors are opaque but decodable: forged ones carry any version and position.
  const forgedCursor = fc.tuple(fc.oneof(fc.integer(), fc.double(), fc.constantFrom(1, 1e20, -1)), fc.oneof(fc.string(), fc.integer())).map((v) => Buffer.from(JSON.stringify(v)).toString('base64url'))
  const queryArb = fc.array(
    fc.tuple(fc.constantFrom('model', 'limit', 'cursor', 'cursor', 'format', 'datasetId', 'sample', 'x', 'model[]', 'name'), fc.oneof(id, forgedCursor, fc.constantFrom('csv', 'json', '1', '0', '-1', '99999999999999999999', '1e400', ''))),
    { maxLength: 3 },
  )
  const qs = (q: [string, string][]) => (q.length === 0 ? '' : `?${q.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')}`)

  await t.test('POST routes with random JSON, random path ids and queries', async (t) => {
    const routes = Object.keys(bodies).filter((r) => r !== '/drift/check' || app.hasRoute({ method: 'POST', url: '/drift/check' }))
    for (const route of routes) {
      await fc.assert(
        fc.asyncProperty(bodies[route]!, rawBody, id, queryArb, fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', undefined), async (body, raw, pathId, query, type) => {
          const url = route.replace(/\{\w+\}/, segment(pathId)) + qs(query)
          const payload = raw ?? JSON.stringify(body)
          const headers: Record<string, string> = type === undefined ? {} : { 'content-type': type }
          const before = await counts()
          const res = await inject({ method: 'POST', url, payload, headers })
          if (!checkResponse(t, res, `POST ${url} ${payload.slice(0, 200)} (${type})`)) return false
          const after = await counts()
          if (after.d !== before.d || after.r !== before.r) {
            t.fail(`POST ${url} changed the stored data`)
            return false
          }
          return true
        }),
        params(route === '/drift/check' ? 80 : 200),
      )
    }
  })

  await t.test('GET and other methods on every path with random ids and queries', async (t) => {
    const templates = ['/datasets', '/datasets/{}', '/jobs', '/jobs/{}', '/models', '/models/{}', '/models/active', '/models/history', '/predict/customer/{}', '/segments', '/segments/{}', '/segments/{}/customers', '/segments/map', '/drift', '/health/ready', '/{}', '/{}/{}']
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...templates), id, id, queryArb, fc.constantFrom('GET', 'GET', 'GET', 'HEAD', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'), fc.constantFrom('application/json', 'text/csv', '*/*', undefined), async (template, a, b, query, method, accept) => {
        // DELETE only on ids that cannot be the stored dataset's.
        const ids = method === 'DELETE' ? [a, b].map((x) => (x === datasetId ? 'gone' : x)) : [a, b]
        let i = 0
        const url = template.replace(/\{\}/g, () => segment(ids[i++]!)) + qs(query)
        const res = await inject({ method: method as 'GET', url, headers: accept ? { accept } : {} })
        return checkResponse(t, res, `${method} ${url} (accept ${accept})`, method === 'HEAD')
      }),
      params(1000),
    )
  })

  t.comment(`${requests} requests; upload statuses ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`)
  t.ok((statuses.get(201) ?? 0) > 0, 'some random uploads were good enough to store')
  t.equal((await app.inject({ url: '/health/ready' })).statusCode, 200, 'ready afterwards')
  const prediction = await app.inject({ url: `/predict/customer/${knownIds[0]}` })
  t.equal(prediction.statusCode, 200, 'and predicting')
  t.equal(prediction.json().modelVersion, 1)
})
