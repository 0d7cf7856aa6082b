// Issue 11's acceptance corpus, through HTTP on the suite's backend (run once with DATABASE_URL,
// once without, for PGlite): every shape a retailer exports, made from the shipped sample
// (test/helpers/corpus.ts), answers with the right status, counts, date range, reading decisions
// and problem body, and stores exactly the rows it should (a checksum of the stored rows against
// the original ones). Also: validation answers a person can act on (every route).
import { readFileSync } from 'node:fs'
import { gunzipSync } from 'node:zlib'
import t from 'tap'
import { canonical, checksum, csvCorpus, parseRows, xlsxCorpus, type CorpusFile } from './helpers/corpus.ts'
import { backend } from './helpers/db.ts'
import { testApp } from './helpers/app.ts'

const SAMPLE = 'test/fixtures/online_retail_sample_445.csv.gz'

t.test(`the upload corpus on ${backend}`, { timeout: 600_000 }, async (t) => {
  const rows = parseRows(gunzipSync(readFileSync(SAMPLE)).toString('utf8'))
  const files: CorpusFile[] = [...csvCorpus(rows), ...(await xlsxCorpus(rows))]
  // The corpus is built in this process: its busy loop is not the service being overloaded.
  const { app } = await testApp(t, { maxEventLoopDelayMs: 0 })
  const storedLines = async (id: string) =>
    (await app.db.query<{ invoice_no: string; stock_code: string; description: string | null; quantity: number; d: string; unit_price: number; customer_id: string | null; country: string | null }>(
      `SELECT invoice_no, stock_code, description, quantity, to_char(invoice_date, 'YYYY-MM-DD HH24:MI:SS') AS d, unit_price, customer_id, country
       FROM transactions WHERE dataset_id = $1`, [id],
    )).map((r) => canonical({ invoiceNo: r.invoice_no, stockCode: r.stock_code, description: r.description, quantity: r.quantity, date: r.d, price: r.unit_price, customerId: r.customer_id, country: r.country }))
  const total = async () => (await app.db.query<{ n: number }>('SELECT count(*)::int AS n FROM transactions'))[0]!.n

  for (const f of files) {
    await t.test(f.name, async (t) => {
      const e = f.expect
      const before = await total()
      const res = await app.inject({ method: 'POST', url: `/datasets?${f.query ?? ''}`, payload: f.body, headers: f.headers })
      t.equal(res.statusCode, e.status, `status (${res.body.slice(0, 300)})`)
      const body = res.json()
      if (e.status !== 201) {
        t.match(res.headers['content-type'], /^application\/problem\+json/)
        t.equal(body.title, e.title, 'problem title')
        t.match(body.detail, e.detail!, 'problem detail')
        if (e.errorPaths) t.same(body.errors.map((x: { path: string }) => x.path).slice(0, e.errorPaths.length), e.errorPaths, 'problem errors')
        t.equal(await total(), before, 'nothing stored')
        return
      }
      t.match(body, { rows: { read: e.read, rejected: e.rejected, accepted: e.read! - e.rejected! } }, 'counts')
      if (e.dateRange) t.same(body.dateRange, e.dateRange, 'date range')
      if (e.dateFormat) t.equal(body.dateFormat, e.dateFormat, 'date format used')
      if (e.decimal) t.equal(body.decimal, e.decimal, 'decimal mark used')
      if (e.rejectedLines) t.same(body.rejections.map((r: { line: number }) => r.line), e.rejectedLines, 'rejected lines')
      if (e.sheets) t.same(body.sheets.map((s: { name: string; rows: { read: number } }) => ({ name: s.name, read: s.rows.read })), e.sheets, 'per-sheet counts')
      if (e.skippedSheets) t.same(body.skippedSheets.map((s: { name: string }) => s.name), e.skippedSheets, 'skipped sheets named')
      const stored = await storedLines(body.id)
      t.equal(stored.length, e.stored!.length, 'stored row count')
      t.equal(checksum(stored), checksum(e.stored!), 'checksum of the stored rows')
      t.equal((await app.inject({ method: 'DELETE', url: `/datasets/${body.id}` })).statusCode, 204)
    })
  }
})

t.test('validation answers a person can act on', async (t) => {
  const { app } = await testApp(t, { maxEventLoopDelayMs: 0 })
  const train = await app.inject({ method: 'POST', url: '/train', payload: { recipe: 'fancy' } })
  t.equal(train.statusCode, 400)
  // The enum lists the ids, then the alias seed (issue 13).
  t.match(train.json().detail, /recipe must be one of default, original, seed/, 'a bad enum names the allowed values')
  const unknown = await app.inject({ method: 'POST', url: '/train', payload: { recipie: 'seed' } })
  t.equal(unknown.statusCode, 400)
  t.match(unknown.json().detail, /body\.recipie is not a known property/, 'an unknown property is named')
  const query = await app.inject({ method: 'POST', url: '/datasets?dateformat=x', payload: 'a', headers: { 'content-type': 'text/csv' } })
  t.equal(query.statusCode, 400)
  t.match(query.json().detail, /querystring\.dateformat is not a known property/, 'an unknown query parameter is named')
  const decimal = await app.inject({ method: 'POST', url: '/datasets?decimal=x', payload: 'a', headers: { 'content-type': 'text/csv' } })
  t.match(decimal.json().detail, /querystring\.decimal must be one of \., ,/)
  const text = await app.inject({ method: 'POST', url: '/train', payload: '<recipe>seed</recipe>', headers: { 'content-type': 'application/xml' } })
  t.equal(text.statusCode, 415)
  t.match(text.json().detail, /Accepted content types: application\/json/, '415 lists the accepted content types')
  const json = await app.inject({ method: 'POST', url: '/datasets', payload: '{}', headers: { 'content-type': 'application/json' } })
  t.equal(json.statusCode, 415)
  t.match(json.json().detail, /Accepted content types: text\/csv, application\/gzip/, 'an upload\'s 415 too')
})
