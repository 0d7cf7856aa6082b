// POST /datasets end to end through the real app and database: real files, exact figures,
// exact problem bodies, and nothing stored by a failed upload.
import { readFileSync } from 'node:fs'
import { gzipSync } from 'node:zlib'
import ExcelJS from 'exceljs'
import t from 'tap'
import { backend } from './helpers/db.ts'
import { testApp } from './helpers/app.ts'
import { FULL_DATA } from './helpers/data.ts'
import { partitionName } from '../src/datasets/partitions.ts'

const SAMPLE = 'test/fixtures/online_retail_sample_445.csv.gz'
const FULL = FULL_DATA
const HEADER = 'InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country'
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'

t.test(`uploads on ${backend}`, async (t) => {
  const { app } = await testApp(t)
  const transactionCount = async () => (await app.db.query<{ n: number }>('SELECT count(*)::int AS n FROM transactions'))[0]?.n
  const datasetCount = async () => (await app.inject({ url: '/datasets' })).json().length as number
  // Every table named like a dataset's partition, attached or not (an upload's table before ATTACH).
  const partitions = async () => app.db.query<{ name: string; parent: string | null }>(
    `SELECT c.relname AS name, i.inhparent::regclass::text AS parent FROM pg_class c LEFT JOIN pg_inherits i ON i.inhrelid = c.oid
      WHERE c.relkind = 'r' AND c.relname LIKE 'transactions\\_%' ORDER BY 1`)

  const sample = readFileSync(SAMPLE)
  const first = await app.inject({ method: 'POST', url: '/datasets?name=sample', payload: sample, headers: { 'content-type': 'text/csv', 'content-encoding': 'gzip' } })
  t.equal(first.statusCode, 201, first.body)
  const ds = first.json()
  t.match(ds, { name: 'sample', format: 'csv.gz', status: 'ready', rows: { read: 36378, accepted: 36378, rejected: 0 }, customers: 445, rejections: [] })
  t.equal(ds.dateRange.from, '2010-12-01T08:26:00')
  t.equal(ds.dateRange.to, '2011-12-09T12:50:00')
  t.equal(first.headers.location, `/datasets/${ds.id}`)
  t.equal(await transactionCount(), 36378, 'every accepted row stored, guests included')
  const stored = await app.db.query<{ customer_id: string; stock_code: string; invoice_date: string; unit_price: number }>(
    `SELECT customer_id, stock_code, invoice_date::text, unit_price FROM transactions WHERE dataset_id = $1 AND line = 2`, [ds.id])
  t.same(stored[0], { customer_id: '17850', stock_code: '85123A', invoice_date: '2010-12-01 08:26:00', unit_price: 2.55 }, 'first line stored as read')
  t.same(await partitions(), [{ name: partitionName(ds.id), parent: 'transactions' }], 'in a partition of its own')
  t.same(await app.db.query(`SELECT indexrelid::regclass::text FROM pg_index WHERE indrelid = '${partitionName(ds.id)}'::regclass`), [], 'with no index (docs/decisions.md)')

  const again = await app.inject({ method: 'POST', url: '/datasets', payload: sample, headers: { 'content-type': 'application/gzip' } })
  t.equal(again.statusCode, 200, 'the same bytes again: 200')
  t.equal(again.json().id, ds.id, 'with the same id')
  t.equal(await transactionCount(), 36378, 'and no new rows')
  t.same((await partitions()).map((p) => p.name), [partitionName(ds.id)], 'nor a partition: the second COPY\'s table was rolled back')

  t.equal((await app.inject({ url: `/datasets/${ds.id}` })).json().sha256, ds.sha256)
  t.equal((await app.inject({ url: '/datasets/00000000-0000-4000-8000-000000000000' })).statusCode, 404)
  t.equal((await app.inject({ url: '/datasets/not-a-uuid' })).statusCode, 404)

  t.test('multipart and xlsx give the same figures as CSV', async (t) => {
    const rows = [
      ['536365', '85123A', 'WHITE HANGING HEART T-LIGHT HOLDER', 6, new Date(Date.UTC(2010, 11, 1, 8, 26)), 2.55, 17850, 'United Kingdom'],
      ['C536379', 'D', 'Discount', -1, new Date(Date.UTC(2010, 11, 1, 9, 41)), 27.5, 14527, 'United Kingdom'],
      ['536414', 22139, null, 56, new Date(Date.UTC(2010, 11, 1, 11, 52)), 0, null, 'United Kingdom'],
      ['536520', '21123', 'SET/10 RED POLKADOT PARTY CANDLES', 1, 40513.5625, 1.25, 14729, 'France'],
    ]
    const wb = new ExcelJS.Workbook()
    const ws = wb.addWorksheet('Online Retail')
    ws.addRow(HEADER.split(','))
    for (const r of rows) ws.addRow(r)
    const xlsx = Buffer.from(await wb.xlsx.writeBuffer())
    const boundary = 'rsboundary'
    const body = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="retail.xlsx"\r\nContent-Type: ${XLSX}\r\n\r\n`),
      xlsx,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ])
    const res = await app.inject({ method: 'POST', url: '/datasets', payload: body, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } })
    t.equal(res.statusCode, 201, res.body)
    t.match(res.json(), { format: 'xlsx', rows: { read: 4, accepted: 4, rejected: 0 }, customers: 3, invoices: 4, countries: 2 })
    t.same(res.json().dateRange, { from: '2010-12-01T08:26:00', to: '2010-12-01T13:30:00' }, 'Excel serial 40513.5625 is 2010-12-01 13:30')
    const codes = await app.db.query<{ stock_code: string; customer_id: string | null }>(
      'SELECT stock_code, customer_id FROM transactions WHERE dataset_id = $1 ORDER BY line', [res.json().id])
    t.same(codes.map((c) => c.stock_code), ['85123A', 'D', '22139', '21123'], 'numeric stock codes are stored as strings')
    t.same(codes.map((c) => c.customer_id), ['17850', '14527', null, '14729'], 'numeric customer ids are strings, blank is a guest')
  })

  t.test('bad input: a clear problem, and nothing stored', async (t) => {
    const before = { datasets: await datasetCount(), rows: await transactionCount(), partitions: await partitions() }
    const gz = gzipSync(Buffer.from(`${HEADER}\n536365,85123A,X,6,2010-12-01 08:26:00,2.55,17850,United Kingdom\n`.repeat(1)))
    const bigSheet = new ExcelJS.Workbook()
    const sheet = bigSheet.addWorksheet('s')
    sheet.addRow(HEADER.split(','))
    // Highly compressible: a few hundred kB zipped, hundreds of MB once inflated.
    const filler = 'A'.repeat(30000)
    for (let i = 0; i < 12000; i++) sheet.addRow(['1', '2', filler, 1, '2010-12-01 08:26:00', 1, '1', 'X'])
    const bomb = Buffer.from(await bigSheet.xlsx.writeBuffer({ zip: { compression: 'DEFLATE', compressionOptions: { level: 9 } } } as never))
    // 600 distinct 30,000-character strings: 18 MB of shared strings, over the upload thread's 16 MiB.
    const manyStrings = new ExcelJS.Workbook()
    const stringsSheet = manyStrings.addWorksheet('s')
    stringsSheet.addRow(HEADER.split(','))
    for (let i = 0; i < 600; i++) stringsSheet.addRow(['1', '2', `${i} ${filler}`, 1, '2010-12-01 08:26:00', 1, '1', 'X'])
    const stringsBomb = Buffer.from(await manyStrings.xlsx.writeBuffer({ zip: { compression: 'DEFLATE', compressionOptions: { level: 9 } } } as never))
    const cases: { name: string; body: Buffer | string; headers: Record<string, string>; status: number; detail: RegExp }[] = [
      { name: 'empty body', body: '', headers: { 'content-type': 'text/csv' }, status: 400, detail: /empty/i },
      { name: 'binary junk', body: Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)), headers: { 'content-type': 'application/octet-stream' }, status: 415, detail: /./ },
      { name: 'missing columns', body: 'InvoiceNo,StockCode,Quantity\n1,2,3\n', headers: { 'content-type': 'text/csv' }, status: 422, detail: /Description/ },
      { name: 'header only', body: `${HEADER}\n`, headers: { 'content-type': 'text/csv' }, status: 422, detail: /no data rows/i },
      { name: 'truncated gzip', body: sample.subarray(0, sample.length >> 1), headers: { 'content-type': 'application/gzip' }, status: 422, detail: /gzip/i },
      { name: 'gzip header on plain text', body: `${HEADER}\n`, headers: { 'content-type': 'text/csv', 'content-encoding': 'gzip' }, status: 422, detail: /gzip/i },
      { name: 'a zip that is not a workbook', body: zipOf('hello.txt'), headers: { 'content-type': XLSX }, status: 422, detail: /workbook/i },
      { name: 'xlsx whose sheet inflates to hundreds of MB', body: bomb, headers: { 'content-type': XLSX }, status: 413, detail: /./ },
      { name: 'xlsx with more shared strings than are held in memory', body: stringsBomb, headers: { 'content-type': XLSX }, status: 413, detail: /^the workbook part xl\/sharedStrings\.xml inflates to more than 16 MiB/ },
      { name: 'JSON', body: '{"rows":[]}', headers: { 'content-type': 'application/json' }, status: 415, detail: /JSON/ },
      { name: 'only bad rows', body: `${HEADER}\n1,2,x,notanumber,2010-12-01 08:26:00,1,1,UK\n`, headers: { 'content-type': 'text/csv' }, status: 422, detail: /./ },
    ]
    for (const c of cases) {
      const res = await app.inject({ method: 'POST', url: '/datasets', payload: c.body, headers: c.headers })
      t.equal(res.statusCode, c.status, `${c.name}: status ${c.status} (${res.body.slice(0, 200)})`)
      t.match(res.headers['content-type'], /^application\/problem\+json/, `${c.name}: problem+json`)
      const p = res.json()
      t.equal(p.status, c.status, `${c.name}: body status`)
      t.match(p.detail, c.detail, `${c.name}: detail says why`)
      t.notMatch(res.body, /at .*\.ts:\d+/, `${c.name}: no stack trace`)
    }
    const missing = (await app.inject({ method: 'POST', url: '/datasets', payload: 'InvoiceNo,StockCode,Quantity\n1,2,3\n', headers: { 'content-type': 'text/csv' } })).json()
    t.same(missing.errors.map((e: { path: string }) => e.path).sort(), ['CustomerID', 'Country', 'Description', 'InvoiceDate', 'UnitPrice'].sort(), 'each missing column named')
    t.equal((await app.inject({ method: 'POST', url: '/datasets', payload: gz, headers: { 'content-type': 'text/csv', 'content-length': String(300 * 1024 * 1024) } })).statusCode, 413, 'declared size over the limit')
    t.same({ datasets: await datasetCount(), rows: await transactionCount(), partitions: await partitions() }, before, 'no dataset, no row and no partition stored by any of them')
    t.equal((await app.inject({ url: '/health/ready' })).statusCode, 200, 'the service still answers')
  })

  t.test('good rows survive among bad ones, Latin-1 is read', async (t) => {
    const latin1 = Buffer.concat([
      Buffer.from(`${HEADER}\n536365,85123A,OK ROW,6,2010-12-01 08:26:00,2.55,17850,United Kingdom\n`),
      Buffer.from('536366,22633,CAF\xe9 MUG,6,12/1/2010 8:28,1.85,17850,United Kingdom\n', 'latin1'),
      Buffer.from('536367,84879,BAD DATE,32,2010-13-45 08:34:00,1.69,13047,United Kingdom\n'),
      Buffer.from('536368,22960,BAD NUMBER,six,2010-12-01 08:34:00,4.25,13047,United Kingdom\n'),
      Buffer.from('536369,21756,LAST ROW,3,2010-12-01 08:35:00,5.95,13047,United Kingdom\n'),
    ])
    // Two bad rows of five are over the default 1 % and the one slash date decides nothing on its
    // own: by default that is a 422 naming each override, which the second upload then uses.
    const refused = await app.inject({ method: 'POST', url: '/datasets', payload: latin1, headers: { 'content-type': 'text/csv' } })
    t.equal(refused.statusCode, 422, refused.body)
    t.equal(refused.json().title, 'Date format undecided')
    t.match(refused.json().detail, /\?dateFormat=MM\/DD\/YYYY HH:mm/, 'the override is named')
    const url = `/datasets?dateFormat=${encodeURIComponent('MM/DD/YYYY HH:mm')}`
    const tooMany = await app.inject({ method: 'POST', url, payload: latin1, headers: { 'content-type': 'text/csv' } })
    t.equal(tooMany.statusCode, 422, tooMany.body)
    t.equal(tooMany.json().title, 'Too many rejected rows')
    t.match(tooMany.json().detail, /2 of 5 rows .*maxRejectedShare=0\.01/, 'the threshold applies to a small file too')
    const res = await app.inject({ method: 'POST', url: `${url}&maxRejectedShare=0.5`, payload: latin1, headers: { 'content-type': 'text/csv' } })
    t.equal(res.statusCode, 201, res.body)
    const body = res.json()
    t.match(body, { rows: { read: 5, accepted: 3, rejected: 2 } })
    t.same(body.rejections.map((r: { line: number }) => r.line), [4, 5], 'rejections name their file lines')
    t.match(body.rejections[0].reason, /date/i)
    t.match(body.rejections[1].reason, /quantity/i)
    const desc = await app.db.query<{ description: string }>('SELECT description FROM transactions WHERE dataset_id = $1 AND line = 3', [body.id])
    t.equal(desc[0]?.description, 'CAFÉ MUG'.replace('É', 'é'), 'the Latin-1 é survives')
    t.equal((await app.inject({ method: 'DELETE', url: `/datasets/${body.id}` })).statusCode, 204)
    t.equal((await app.inject({ url: `/datasets/${body.id}` })).statusCode, 404, 'deleted')
    const left = await app.db.query<{ n: number }>('SELECT count(*)::int AS n FROM transactions WHERE dataset_id = $1', [body.id])
    t.equal(left[0]?.n, 0, 'with its rows')
    t.notOk((await partitions()).some((p) => p.name === partitionName(body.id)), 'and its partition dropped')
    t.equal((await app.inject({ method: 'DELETE', url: `/datasets/${body.id}` })).statusCode, 404, 'a second delete: 404')
  })

  t.test('rows read month first before the file proves day first are swapped in the partition', async (t) => {
    // Lines 2 and 4 are ambiguous (parked month first); line 3's bad date splits them into two
    // runs; line 5 (13/2) proves day first. The store swaps both runs in one statement.
    const csv = [HEADER,
      '540001,85123A,A,1,1/2/2011 08:00,1.5,17850,United Kingdom',
      '540002,85123A,B,1,not a date,1.5,17850,United Kingdom',
      '540003,85123A,C,1,3/4/2011 09:30,1.5,17850,United Kingdom',
      '540004,85123A,D,1,13/2/2011 10:00,1.5,17850,United Kingdom',
      '540005,85123A,E,1,5/6/2011 11:00,1.5,13047,United Kingdom', ''].join('\n')
    const res = await app.inject({ method: 'POST', url: '/datasets?maxRejectedShare=0.5', payload: csv, headers: { 'content-type': 'text/csv' } })
    t.equal(res.statusCode, 201, res.body)
    t.equal(res.json().dateFormat, 'DD/MM/YYYY HH:mm')
    const dates = await app.db.query<{ line: number; d: string }>('SELECT line, invoice_date::text AS d FROM transactions WHERE dataset_id = $1 ORDER BY line', [res.json().id])
    t.same(dates, [
      { line: 2, d: '2011-02-01 08:00:00' }, { line: 4, d: '2011-04-03 09:30:00' }, { line: 5, d: '2011-02-13 10:00:00' }, { line: 6, d: '2011-06-05 11:00:00' },
    ], 'both runs swapped, the rows after the proof read day first')
    t.same(res.json().dateRange, { from: '2011-02-01T08:00:00', to: '2011-06-05T11:00:00' })
    t.equal((await app.inject({ method: 'DELETE', url: `/datasets/${res.json().id}` })).statusCode, 204)
  })

  t.test('the full UCI file', async (t) => {
    const res = await app.inject({ method: 'POST', url: '/datasets', payload: readFileSync(FULL), headers: { 'content-type': 'application/gzip' } })
    t.equal(res.statusCode, 201, res.body.slice(0, 500))
    t.match(res.json(), { rows: { read: 541909, accepted: 541909, rejected: 0 }, customers: 4372, invoices: 25900, countries: 38 })
    t.same(res.json().dateRange, { from: '2010-12-01T08:26:00', to: '2011-12-09T12:50:00' })
  })
})

/** A valid zip holding one small text file (stored, no compression). */
function zipOf(name: string): Buffer {
  const data = Buffer.from('not a workbook')
  const crc = crc32(data)
  const nameBuf = Buffer.from(name)
  const local = Buffer.alloc(30)
  local.writeUInt32LE(0x04034b50, 0); local.writeUInt16LE(20, 4); local.writeUInt32LE(crc, 14)
  local.writeUInt32LE(data.length, 18); local.writeUInt32LE(data.length, 22); local.writeUInt16LE(nameBuf.length, 26)
  const central = Buffer.alloc(46)
  central.writeUInt32LE(0x02014b50, 0); central.writeUInt16LE(20, 4); central.writeUInt16LE(20, 6); central.writeUInt32LE(crc, 16)
  central.writeUInt32LE(data.length, 20); central.writeUInt32LE(data.length, 24); central.writeUInt16LE(nameBuf.length, 28)
  const end = Buffer.alloc(22)
  const centralOffset = local.length + nameBuf.length + data.length
  end.writeUInt32LE(0x06054b50, 0); end.writeUInt16LE(1, 8); end.writeUInt16LE(1, 10)
  end.writeUInt32LE(central.length + nameBuf.length, 12); end.writeUInt32LE(centralOffset, 16)
  return Buffer.concat([local, nameBuf, data, central, nameBuf, end])
}

function crc32(buf: Buffer): number {
  let c = ~0
  for (const b of buf) {
    c ^= b
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1
  }
  return ~c >>> 0
}
