// Issue 11 on the full UCI file (test/fixtures): the file as a
// UK Excel export (day-first dates) is read with every row and its true dates; the same file with
// only days 1-12 of each month cannot be decided and is refused until ?dateFormat= says; the two-
// sheet workbook (rows before 2011-06-01 on sheet 1) gives the single file's figures with per-sheet
// counts; and the same rows with one week on both sheets train to the same features.
import { readFileSync } from 'node:fs'
import { gunzipSync } from 'node:zlib'
import t from 'tap'
import { readTransactions } from '../src/datasets/read.ts'
import { buildFeatures } from '../src/pipeline/features.ts'
import { cachedWorkbook, canonical, checksum, parseRows, rowCanonical, splitSheets, toCsv, ukDayFirst, workbook, XLSX } from './helpers/corpus.ts'
import { backend } from './helpers/db.ts'
import { testApp } from './helpers/app.ts'
import { FULL_DATA } from './helpers/data.ts'

const FULL = FULL_DATA
const RANGE = { from: '2010-12-01T08:26:00', to: '2011-12-09T12:50:00' }

t.test(`full-file exports on ${backend}`, { timeout: 1_800_000 }, async (t) => {
  const rows = parseRows(gunzipSync(readFileSync(FULL)).toString('utf8'))
  const { app } = await testApp(t, { maxEventLoopDelayMs: 0 })
  const stored = async (id: string) =>
    (await app.db.query<{ invoice_no: string; stock_code: string; description: string | null; quantity: number; d: string; unit_price: number; customer_id: string | null; country: string | null }>(
      `SELECT invoice_no, stock_code, description, quantity, to_char(invoice_date, 'YYYY-MM-DD HH24:MI:SS') AS d, unit_price, customer_id, country
       FROM transactions WHERE dataset_id = $1`, [id],
    )).map((r) => canonical({ invoiceNo: r.invoice_no, stockCode: r.stock_code, description: r.description, quantity: r.quantity, date: r.d, price: r.unit_price, customerId: r.customer_id, country: r.country }))
  const post = (body: Buffer, type: string, query = '') => app.inject({ method: 'POST', url: `/datasets?${query}`, payload: body, headers: { 'content-type': type } })

  await t.test('the UK day-first CSV: every row, the true dates', async (t) => {
    const res = await post(Buffer.from(toCsv(rows, { date: ukDayFirst, eol: '\r\n' })), 'text/csv')
    t.equal(res.statusCode, 201, res.body.slice(0, 300))
    const body = res.json()
    t.match(body, { rows: { read: 541909, accepted: 541909, rejected: 0 }, customers: 4372, invoices: 25900, dateFormat: 'DD/MM/YYYY HH:mm' })
    t.same(body.dateRange, RANGE)
    t.equal(checksum(await stored(body.id)), checksum(rows.map(rowCanonical)), 'stored rows = the original rows, dates included')
    await app.inject({ method: 'DELETE', url: `/datasets/${body.id}` })
  })

  await t.test('days 1-12 only: 422 asking for dateFormat, then 201 with it', async (t) => {
    const early = rows.filter((r) => r.d <= 12)
    const file = Buffer.from(toCsv(early, { date: ukDayFirst }))
    const refused = await post(file, 'text/csv')
    t.equal(refused.statusCode, 422)
    t.match(refused.json(), { title: 'Date format undecided', detail: /\?dateFormat=DD\/MM\/YYYY HH:mm/ })
    t.same(refused.json().errors.map((e: { path: string }) => e.path), ['dateFormat', 'dateFormat'])
    const res = await post(file, 'text/csv', 'dateFormat=DD%2FMM%2FYYYY%20HH%3Amm')
    t.equal(res.statusCode, 201, res.body.slice(0, 300))
    t.match(res.json(), { rows: { read: early.length, accepted: early.length, rejected: 0 }, dateFormat: 'DD/MM/YYYY HH:mm' })
    t.equal(checksum(await stored(res.json().id)), checksum(early.map(rowCanonical)), 'true dates')
    t.comment(`${early.length} rows with days 1-12`)
    await app.inject({ method: 'DELETE', url: `/datasets/${res.json().id}` })
  })

  await t.test('the two-sheet workbook: the single file\'s figures, per-sheet counts', async (t) => {
    const sheets = splitSheets(rows)
    const file = await cachedWorkbook('online_retail_2sheets.xlsx', () => workbook(sheets))
    const res = await post(readFileSync(file), XLSX)
    t.equal(res.statusCode, 201, res.body.slice(0, 300))
    const body = res.json()
    t.match(body, { rows: { read: 541909, accepted: 541909, rejected: 0 }, customers: 4372, invoices: 25900 })
    t.same(body.dateRange, RANGE)
    t.same(body.sheets.map((s: { name: string; rows: { read: number } }) => [s.name, s.rows.read]), Object.entries(sheets).map(([n, r]) => [n, r.length]))
    t.comment(`sheet rows: ${Object.entries(sheets).map(([n, r]) => `${n} ${r.length}`).join(', ')}`)
    await app.inject({ method: 'DELETE', url: `/datasets/${body.id}` })
  })

  await t.test('a one-week overlap between the sheets trains to the single file\'s features', async (t) => {
    const sheets = splitSheets(rows, 7)
    const file = await cachedWorkbook('online_retail_2sheets_overlap.xlsx', () => workbook(sheets))
    const over = await post(readFileSync(file), XLSX)
    t.equal(over.statusCode, 201, over.body.slice(0, 300))
    const single = await post(readFileSync(FULL), 'application/gzip')
    t.equal(single.statusCode, 201)
    const overlap = Object.values(sheets).reduce((n, r) => n + r.length, 0) - rows.length
    t.equal(over.json().rows.read, rows.length + overlap, `every row read, the ${overlap} overlapping ones twice`)
    const a = await buildFeatures(readTransactions(app.db, [single.json().id]))
    const b = await buildFeatures(readTransactions(app.db, [over.json().id]))
    t.same(b.default, a.default, 'default recipe features equal')
    t.same(b.original, a.original, 'seed recipe features equal')
    t.equal(b.cleaning.customers, a.cleaning.customers, 'same customers after cleaning')
  })
})
