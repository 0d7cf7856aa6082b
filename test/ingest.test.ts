// The upload readers on CSV and gzipped CSV: real data figures, header variants, every value
// format, line numbers of rejections, encodings, every refused input with its exact status, and
// property tests that write random rows as CSV and read them back through random chunk splits.
// (xlsx: test/ingest-xlsx.test.ts.)
import { createHash } from 'node:crypto'
import { createReadStream, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { Readable } from 'node:stream'
import { gzipSync } from 'node:zlib'
import fc from 'fast-check'
import tap, { type Test } from 'tap'
import { HttpProblem } from '../src/errors.ts'
import type { Line } from '../src/pipeline/types.ts'
import { detectDelimiter } from '../src/ingest/csv.ts'
import { normalizeHeader, resolveColumns } from '../src/ingest/headers.ts'
import { createSummary } from '../src/ingest/summary.ts'
import { decodeWindows1252 } from '../src/ingest/text.ts'
import { DEFAULT_BATCH_SIZE, readUpload, type UploadHints, type UploadResult } from '../src/ingest/upload.ts'
import { cleanCode, excelSerialToMs, parseDateText, parseDecimal, parseInteger } from '../src/ingest/values.ts'
import { FULL_DATA } from './helpers/data.ts'

const ROOT = resolve(import.meta.dirname, '..')
const SAMPLE = resolve(ROOT, 'test/fixtures/online_retail_sample_445.csv.gz')
const FULL = FULL_DATA
const HEADER = 'InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country'
const HEADER_II = 'Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country'
const GiB = 1024 ** 3
const LIMITS = { maxBytes: GiB, maxInflatedBytes: 4 * GiB }

const at = (iso: string) => Date.parse(`${iso}Z`)

interface Read {
  rows: Line[]
  rejections: { line: number; reason: string }[]
  batches: number
  result: UploadResult
}

type Body = string | Buffer | Buffer[]

const stream = (body: Body) => Readable.from(Array.isArray(body) ? body : [Buffer.from(body)])

async function read(body: Body, hints: Partial<UploadHints> = {}): Promise<Read> {
  const reader = readUpload(stream(body), { ...LIMITS, ...hints })
  const out: Read = { rows: [], rejections: [], batches: 0, result: undefined as never }
  for await (const batch of reader.batches) {
    out.rows.push(...batch.rows)
    out.rejections.push(...batch.rejections)
    out.batches++
  }
  out.result = reader.result()
  return out
}

async function problem(body: Body, hints: Partial<UploadHints> = {}): Promise<HttpProblem> {
  try {
    await read(body, hints)
  } catch (err) {
    if (err instanceof HttpProblem) return err
    throw err
  }
  throw new Error('expected an HttpProblem, the upload was read')
}

const csv = (...lines: string[]) => `${[HEADER, ...lines].join('\n')}\n`

function line(p: Partial<Line> & { line: number }): Line {
  return {
    invoiceNo: '536365',
    stockCode: '85123A',
    description: 'WHITE HANGING HEART T-LIGHT HOLDER',
    quantity: 6,
    invoiceDate: at('2010-12-01T08:26:00'),
    unitPrice: 2.55,
    customerId: '17850',
    country: 'United Kingdom',
    ...p,
  }
}

const GOOD = '536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2010-12-01 08:26:00,2.55,17850,United Kingdom'

tap.test('the 445-customer sample: figures, hash, batches', async (t) => {
  const bytes = readFileSync(SAMPLE)
  const reader = readUpload(createReadStream(SAMPLE, { highWaterMark: 16 * 1024 }), { ...LIMITS, contentType: 'application/gzip' })
  const summary = createSummary()
  let rejected = 0
  let batches = 0
  let first: Line | undefined
  for await (const batch of reader.batches) {
    t.ok(batch.rows.length + batch.rejections.length <= DEFAULT_BATCH_SIZE + 1000, `batches of about ${DEFAULT_BATCH_SIZE} rows`)
    first ??= batch.rows[0]
    summary.add(batch.rows)
    rejected += batch.rejections.length
    batches++
  }
  const s = summary.result()
  t.match(s, { rowsAccepted: 36378, customers: 445, invoices: 2011, countries: 17 })
  t.equal(rejected, 0)
  t.ok(batches >= 7, `${batches} batches`)
  t.equal(s.dateFrom, at('2010-12-01T08:26:00'))
  t.equal(s.dateTo, at('2011-12-09T12:50:00'))
  t.same(first, line({ line: 2 }), 'the first row, as read')
  t.same(reader.result(), {
    sha256: createHash('sha256').update(bytes).digest('hex'),
    bytes: bytes.length,
    format: 'csv.gz',
    rows: { read: 36378, accepted: 36378, rejected: 0 },
  })
})

tap.test('the full UCI file', async (t) => {
  const reader = readUpload(createReadStream(FULL), LIMITS)
  const summary = createSummary()
  let rejected = 0
  for await (const batch of reader.batches) {
    summary.add(batch.rows)
    rejected += batch.rejections.length
  }
  t.same(summary.result(), {
    rowsAccepted: 541909,
    customers: 4372,
    invoices: 25900,
    countries: 38,
    dateFrom: at('2010-12-01T08:26:00'),
    dateTo: at('2011-12-09T12:50:00'),
  })
  t.equal(rejected, 0)
  t.match(reader.result(), { format: 'csv.gz', rows: { read: 541909, accepted: 541909, rejected: 0 } })
})

tap.test('result() is only valid after the last batch', async (t) => {
  const reader = readUpload(stream(csv(GOOD)), LIMITS)
  t.throws(() => reader.result(), /after batches/)
  for await (const _ of reader.batches) t.throws(() => reader.result(), /after batches/)
  t.equal(reader.result().format, 'csv')
})

tap.test('headers', async (t) => {
  const want = [line({ line: 2 })]
  const variants = {
    'Online Retail': HEADER,
    'Online Retail II': HEADER_II,
    'lower case, spaces, underscores': 'invoice no,stock_code,DESCRIPTION, quantity ,invoice date,unit price,customer_id,country',
    'with a byte-order mark': `\uFEFF${HEADER}`,
  }
  for (const [name, header] of Object.entries(variants)) {
    const r = await read(`${header}\n${GOOD}\n`)
    t.same(r.rows, want, name)
  }
  const reordered = await read('Country,Extra,CustomerID,UnitPrice,InvoiceDate,Quantity,Description,StockCode,InvoiceNo\nUnited Kingdom,x,17850,2.55,2010-12-01 08:26:00,6,WHITE HANGING HEART T-LIGHT HOLDER,85123A,536365\n')
  t.same(reordered.rows, want, 'columns in any order, extra columns ignored')
  const semicolons = await read(`${HEADER.replaceAll(',', ';')}\n${GOOD.replaceAll(',', ';')}\n`)
  t.same(semicolons.rows, want, 'a semicolon-separated file')
  const trailing = await read(`${HEADER},,\n${GOOD}\n${GOOD.replace('536365', '536366')},,\n`)
  t.same(trailing.rows.map((r) => r.invoiceNo), ['536365', '536366'], 'trailing empty columns in the header or the rows')
  const crlf = await read(`${HEADER}\r\n${GOOD}\r\n`)
  t.same(crlf.rows, want, 'CRLF line ends')
  const cr = await read(`${HEADER}\r${GOOD}\r${GOOD.replace('536365', '536366')}`)
  t.same(cr.rows.map((r) => [r.line, r.invoiceNo, r.country]), [[2, '536365', 'United Kingdom'], [3, '536366', 'United Kingdom']], 'old Mac CR line ends')

  t.equal(normalizeHeader('\uFEFF Customer ID '), 'customerid')
  t.equal(detectDelimiter('a\tb\tc'), '\t')
  t.equal(detectDelimiter('abc'), ',')
  t.same(resolveColumns(HEADER_II.split(',')), { invoiceNo: 0, stockCode: 1, description: 2, quantity: 3, invoiceDate: 4, unitPrice: 5, customerId: 6, country: 7 })
  t.throws(() => resolveColumns([...HEADER.split(','), 'Price']), { name: 'HttpProblem', message: /given more than once: UnitPrice/ })
})

tap.test('dates', async (t) => {
  const cases: [string, string][] = [
    ['2010-12-01 08:26:00', '2010-12-01T08:26:00'],
    ['2010-12-01 08:26', '2010-12-01T08:26:00'],
    ['2010-12-01T08:26:07.250Z', '2010-12-01T08:26:07.250'],
    ['2010/12/01 08:26', '2010-12-01T08:26:00'],
    ['2010-12-01', '2010-12-01T00:00:00'],
    ['12/1/2010 8:26', '2010-12-01T08:26:00'],
    ['12/01/2010 08:26:59', '2010-12-01T08:26:59'],
    ['2/29/2012 23:59', '2012-02-29T23:59:00'],
    ['12/1/10 8:26', '2010-12-01T08:26:00'],
    ['12/1/2010 8:26 PM', '2010-12-01T20:26:00'],
    ['12/1/2010 12:05 am', '2010-12-01T00:05:00'],
    ['12/1/2010 12:05 PM', '2010-12-01T12:05:00'],
    ['40513.35138888889', '2010-12-01T08:26:00'],
    ['40513', '2010-12-01T00:00:00'],
    [' 2010-12-01 08:26:00 ', '2010-12-01T08:26:00'],
  ]
  for (const [text, iso] of cases) t.equal(parseDateText(text), at(iso), text)
  for (const bad of ['', 'yesterday', '2010-13-01 08:26', '2010-12-32', '2/29/2011 10:00', '12/1/2010 25:00', '12/1/2010 8:60', '12/1/2010 13:00 PM', '1.12.2010 08:26', '2010-12-01 08:26+01:00', '12/1/201 8:26', '0', '60'])
    t.ok(Number.isNaN(parseDateText(bad)), `${JSON.stringify(bad)} is not a date`)

  t.equal(excelSerialToMs(40513.351388888885, false), at('2010-12-01T08:26:00'), 'serial as exceljs reads it')
  t.equal(excelSerialToMs(61, false), at('1900-03-01T00:00:00'), 'after the phantom 1900-02-29')
  t.equal(excelSerialToMs(59, false), at('1900-02-28T00:00:00'), 'before it')
  t.equal(excelSerialToMs(1, false), at('1900-01-01T00:00:00'))
  t.equal(excelSerialToMs(39051.351388888885, true), at('2010-12-01T08:26:00'), '1904 date system')
  t.ok(Number.isNaN(excelSerialToMs(60, false)), '1900-02-29 does not exist')
  t.ok(Number.isNaN(excelSerialToMs(3e6, false)), 'after year 9999')

  // The same instant in four notations gives four identical rows. `12/1/2010` alone decides
  // nothing (day and month both <= 12): the file needs the override, or it is refused.
  const mixed = csv(
    GOOD,
    GOOD.replace('2010-12-01 08:26:00', '12/1/2010 8:26'),
    GOOD.replace('2010-12-01 08:26:00', '2010-12-01 08:26'),
    GOOD.replace('2010-12-01 08:26:00', '40513.35138888889'),
  )
  const undecided = await problem(mixed)
  t.match(undecided, { status: 422, title: 'Date format undecided', detail: /1 rows have slash dates.*\?dateFormat=MM\/DD\/YYYY HH:mm/ })
  const r = await read(mixed, { reading: { dateFormat: 'MM/DD/YYYY HH:mm' } })
  t.same(r.rows, [2, 3, 4, 5].map((n) => line({ line: n })))
})

tap.test('numbers and codes', async (t) => {
  t.equal(parseInteger('6'), 6)
  t.equal(parseInteger(' -12 '), -12)
  t.equal(parseInteger('+3'), 3)
  t.equal(parseInteger('6.0'), 6, 'a float column written by pandas')
  t.ok(Object.is(parseInteger('-0'), 0))
  for (const bad of ['', '6.5', 'six', '1e3', '0x10', '1,000', '12345678901234567', '--1']) t.ok(Number.isNaN(parseInteger(bad)), bad)
  t.equal(parseDecimal('2.55'), 2.55)
  t.equal(parseDecimal('-11062.06'), -11062.06)
  t.equal(parseDecimal('.5'), 0.5)
  t.equal(parseDecimal('5.'), 5)
  t.equal(parseDecimal('1e-3'), 0.001)
  t.equal(parseDecimal('0.1'), 0.1, 'correctly rounded, as Number()')
  t.equal(parseDecimal('1234567.891'), 1234567.891)
  t.ok(Object.is(parseDecimal('-0.00'), 0), 'no negative zero')
  for (const bad of ['', '1,234.5', '2,55', '£2.55', '2.55.1', 'NaN', 'Infinity', '1e', '.', '-', '1e400'])
    t.ok(Number.isNaN(parseDecimal(bad)), `${JSON.stringify(bad)} is refused`)

  t.equal(cleanCode(' 17850.0 '), '17850')
  t.equal(cleanCode('17850.00'), '17850')
  t.equal(cleanCode('17850.5'), '17850.5')
  t.equal(cleanCode('85123A'), '85123A')
  t.equal(cleanCode('C1.0'), 'C1.0', 'only all-digit codes lose a .0')
  t.equal(cleanCode('  '), null)

  const r = await read(csv(
    '536365,85123,WHITE METAL LANTERN,6,2010-12-01 08:26:00,3.39,17850.0,United Kingdom',
    'C536379,D,Discount,-1,2010-12-01 09:41:00,27.50,,United Kingdom',
    '536414,22139,,56,2010-12-01 11:52:00,0,,United Kingdom',
    '  536415 , POST ,"  padded  " ,1,2010-12-01 11:52:00,18,  12583  ,  France  ',
  ))
  t.same(r.rows.map((x) => [x.invoiceNo, x.stockCode, x.description, x.quantity, x.unitPrice, x.customerId, x.country]), [
    ['536365', '85123', 'WHITE METAL LANTERN', 6, 3.39, '17850', 'United Kingdom'],
    ['C536379', 'D', 'Discount', -1, 27.5, null, 'United Kingdom'],
    ['536414', '22139', null, 56, 0, null, 'United Kingdom'],
    ['536415', 'POST', 'padded', 1, 18, '12583', 'France'],
  ], 'codes are strings, blanks are null, everything trimmed')
})

tap.test('rejections carry the line where their record starts', async (t) => {
  const text = [
    HEADER, // 1
    GOOD, // 2
    '', // 3: blank, skipped
    '536366,22633,"TWO', // 4: a record over two lines
    'LINES, ""QUOTED""",6,2010-12-01 08:28:00,1.85,17850,United Kingdom', // 5
    '536367,84879,BAD DATE,32,2010-13-45 08:34:00,1.69,13047,United Kingdom', // 6
    ',,,,,,,', // 7: empty cells only, skipped
    '536368,22960,"BAD, NUMBER",six,2010-12-01 08:34:00,4.25,13047,United Kingdom', // 8
    '536369,21756,"A', // 9
    '', // 10
    'B",3,2010-12-01 08:35:00,1,13047', // 11: too few fields
    '536370,21756,PRICE,3,2010-12-01 08:35:00,"1,234.50",13047,United Kingdom', // 12
    '536371,21756,NO QUANTITY,,2010-12-01 08:35:00,1,13047,United Kingdom', // 13
    ',21756,NO INVOICE,1,2010-12-01 08:35:00,1,13047,United Kingdom', // 14
    '536372,21756,LAST,3,2010-12-01 08:35:00,5.95,13047,United Kingdom', // 15
  ].join('\n')
  const want = {
    lines: [2, 4, 15],
    descriptions: ['WHITE HANGING HEART T-LIGHT HOLDER', 'TWO\nLINES, "QUOTED"', 'LAST'],
    rejections: [
      [6, /^invoiceDate "2010-13-45 08:34:00" is not a valid date/],
      [8, /^quantity "six" is not an integer/],
      [9, /^7 fields where the header has 8/],
      [12, /^unitPrice "1,234.50" is not a plain decimal number \(write 1234.5/],
      [13, /^quantity is empty/],
      [14, /^invoiceNo is empty/],
    ] as const,
  }
  const check = (t: Test, r: Read, name: string, eol = '\n') => {
    t.same(r.rows.map((x) => x.line), want.lines, `${name}: good rows' lines`)
    t.same(r.rows.map((x) => x.description), want.descriptions.map((d) => d.replace('\n', eol)), `${name}: descriptions, line breaks as written`)
    t.same(r.rejections.map((x) => x.line), want.rejections.map(([l]) => l), `${name}: rejected lines`)
    want.rejections.forEach(([, reason], i) => t.match(r.rejections[i]?.reason, reason, `${name}: reason ${i}`))
    t.same(r.result.rows, { read: 9, accepted: 3, rejected: 6 }, `${name}: counts`)
  }
  check(t, await read(text), 'one chunk')
  const bytes = Buffer.from(text)
  check(t, await read(Array.from(bytes, (b) => Buffer.from([b]))), 'one byte per chunk')
  check(t, await read(text.replaceAll('\n', '\r\n')), 'CRLF', '\r\n')
  check(t, await read(gzipSync(bytes)), 'gzipped')
  const unterminated = await read(csv(GOOD, '536366,22633,"NO END,6,2010-12-01 08:28:00,1.85,17850,United Kingdom'))
  t.same(unterminated.rejections.map((r) => r.line), [3], 'an unterminated quote at the end rejects its record')
  t.match(unterminated.rejections[0]?.reason, /malformed CSV: Quoted field unterminated/)
})

tap.test('text encodings', async (t) => {
  const latin1 = Buffer.concat([
    Buffer.from(`${HEADER}\n${GOOD}\n`),
    Buffer.from('536366,22633,CAF\xe9 MUG \x80,6,12/13/2010 8:28,1.85,17850,C\xf4te d\'Ivoire\n', 'latin1'),
    Buffer.from('536367,22633,CAFÉ UTF-8 ✓,6,12/13/2010 8:28,1.85,17850,United Kingdom\n'),
  ])
  const r = await read(latin1)
  t.same(r.rows.map((x) => x.description), ['WHITE HANGING HEART T-LIGHT HOLDER', 'CAFé MUG €', 'CAFÉ UTF-8 ✓'], 'windows-1252 line decoded, UTF-8 line kept')
  t.equal(r.rows[1]?.country, "Côte d'Ivoire")
  const split = await read(Array.from(Buffer.from(csv(GOOD.replace('WHITE', 'WHITÉ €'))), (b) => Buffer.from([b])))
  t.equal(split.rows[0]?.description, 'WHITÉ € HANGING HEART T-LIGHT HOLDER', 'multi-byte characters split across chunks')
  t.equal(decodeWindows1252(Buffer.from([0x93, 0x41, 0x94, 0x81, 0xff])), '“A”\u0081ÿ')
  const bom = await read(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(csv(GOOD))]))
  t.same(bom.rows, [line({ line: 2 })], 'UTF-8 byte-order mark')
})

tap.test('refused uploads: status and reason', async (t) => {
  const gz = readFileSync(SAMPLE)
  const junk = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256))
  const controls = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i % 50 === 0 ? 1 : 65)))
  // 40 MiB of one repeated row gzips to ~100 kB: refused by ratio once 16 MiB are out.
  const repeated = Buffer.from(`${GOOD}\n`.repeat(Math.ceil((40 * 2 ** 20) / (GOOD.length + 1))))
  const gzipBomb = gzipSync(Buffer.concat([Buffer.from(`${HEADER}\n`), repeated]), { level: 9 })
  const cases: { name: string; body: Body; hints?: Partial<UploadHints>; status: number; detail: RegExp; title?: string }[] = [
    { name: 'empty body', body: '', status: 400, detail: /^empty upload/ },
    { name: 'empty gzip', body: gzipSync(Buffer.alloc(0)), status: 400, detail: /^empty upload: no bytes inside the gzip stream/ },
    { name: 'binary junk', body: junk, hints: { contentType: 'application/octet-stream' }, status: 415, detail: /^binary data \(a NUL byte at byte 0\)/ },
    { name: 'control bytes', body: controls, status: 415, detail: /^binary data \(82 control bytes/ },
    { name: 'NUL further in', body: Buffer.concat([Buffer.from(csv(GOOD).repeat(2000)), Buffer.from([0])]), status: 415, detail: /NUL byte at byte/ },
    { name: 'UTF-16', body: Buffer.from(`\uFEFF${HEADER}\n`, 'utf16le'), status: 415, detail: /UTF-16/ },
    { name: 'legacy xls', body: Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), status: 415, detail: /legacy \.xls/ },
    { name: 'JSON content type', body: '{"rows":[]}', hints: { contentType: 'application/json; charset=utf-8' }, status: 415, detail: /^JSON is not accepted/ },
    { name: 'JSON body', body: ' [{"InvoiceNo": 1}]', hints: { contentType: 'text/csv' }, status: 415, detail: /^JSON is not accepted/ },
    { name: 'brotli', body: csv(GOOD), hints: { contentEncoding: 'br' }, status: 415, detail: /Content-Encoding "br" is not supported/ },
    { name: 'missing columns', body: 'InvoiceNo,StockCode,Quantity\n1,2,3\n', status: 422, title: 'Missing columns', detail: /^missing required columns: Description, InvoiceDate, UnitPrice, CustomerID, Country\./ },
    { name: 'no header', body: `${GOOD}\n${GOOD}\n`, status: 422, detail: /^missing required columns: InvoiceNo, StockCode/ },
    { name: 'header only', body: `${HEADER}\n`, status: 422, title: 'No data rows', detail: /^no data rows: the file has a header but no data rows/ },
    { name: 'header and blank lines', body: `\n\n${HEADER}\n\n,,,,,,,\n`, status: 422, detail: /^no data rows/ },
    { name: 'blank lines only', body: '\n \n\n', status: 422, detail: /^no data rows: the file has no header/ },
    { name: 'truncated gzip', body: gz.subarray(0, gz.length >> 1), hints: { contentType: 'application/gzip' }, status: 422, detail: /^truncated or corrupt gzip data: unexpected end of file/ },
    { name: 'corrupt gzip', body: Buffer.concat([gz.subarray(0, 100), Buffer.alloc(100, 0x55), gz.subarray(200)]), status: 422, detail: /^truncated or corrupt gzip data/ },
    { name: 'gzip header on plain text', body: csv(GOOD), hints: { contentType: 'text/csv', contentEncoding: 'gzip' }, status: 422, detail: /says gzip \(Content-Encoding: gzip\) but the body is not gzip data: it starts with bytes 49 6e 76 6f/ },
    { name: 'gzip type on plain text', body: csv(GOOD), hints: { contentType: 'application/gzip' }, status: 422, detail: /says gzip \(Content-Type: application\/gzip\) but the body is not gzip/ },
    { name: 'xlsx type on CSV', body: csv(GOOD), hints: { contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' }, status: 422, detail: /says xlsx .* but the body is not a zip archive/ },
    { name: 'a gzipped zip', body: gzipSync(Buffer.from('PK\x03\x04 whatever')), status: 415, detail: /a zip archive inside the gzip stream/ },
    { name: 'over maxBytes', body: Array.from({ length: 10 }, () => Buffer.from(csv(GOOD))), hints: { maxBytes: 500 }, status: 413, detail: /^the upload is larger than 500 bytes/ },
    { name: 'gzip bomb (ratio)', body: gzipBomb, status: 413, detail: /^the gzip stream inflates more than 200:1 .*decompression bomb/ },
    { name: 'gzip over maxInflatedBytes', body: gzipSync(csv(GOOD).repeat(100)), hints: { maxInflatedBytes: 4096 }, status: 413, detail: /^the gzip stream inflates to more than 4096 bytes .*decompression bomb/ },
    { name: 'a line of a megabyte', body: `${HEADER}\n${'x'.repeat(1.5 * 2 ** 20)}`, status: 422, detail: /a line longer than 1 MiB/ },
    { name: 'an unbalanced quote', body: `${HEADER}\n1,"${'x\n'.repeat(2 ** 20)}`, status: 422, detail: /record starting on line 2 runs for more than 1 MiB/ },
  ]
  for (const c of cases) {
    const p = await problem(c.body, c.hints)
    t.equal(p.status, c.status, `${c.name}: ${c.status} (${p.detail})`)
    t.match(p.detail, c.detail, `${c.name}: detail`)
    if (c.title) t.equal(p.title, c.title, `${c.name}: title`)
  }
  const missing = await problem('InvoiceNo,StockCode,Quantity\n1,2,3\n')
  t.same(missing.errors?.map((e) => e.path), ['Description', 'InvoiceDate', 'UnitPrice', 'CustomerID', 'Country'], 'errors name each missing column')
  t.match(missing.errors?.[2]?.message, /UnitPrice or Price/)
  const gzipBombRead = await problem(gzipBomb)
  t.ok(gzipBombRead.detail.includes('from'), 'the bomb is refused early, from a fraction of the input')
})

tap.test('a failed upload leaves the request stream alone', async (t) => {
  const raw = stream(Array.from({ length: 10 }, () => Buffer.from(csv(GOOD))))
  const reader = readUpload(raw, { ...LIMITS, maxBytes: 500 })
  await t.rejects(async () => {
    for await (const _ of reader.batches);
  }, { name: 'HttpProblem', message: /larger than 500 bytes/ })
  t.notOk(raw.destroyed, 'not destroyed: the caller decides')
  t.throws(() => reader.result())
})

tap.test('summary', async (t) => {
  const s = createSummary()
  t.same(s.result(), { rowsAccepted: 0, customers: 0, invoices: 0, countries: 0, dateFrom: null, dateTo: null })
  s.add([line({ line: 2 }), line({ line: 3, customerId: null, country: null, invoiceDate: at('2009-01-01T00:00:00') })])
  s.add([line({ line: 4, invoiceNo: 'C1', customerId: '2', country: 'France', invoiceDate: at('2012-01-01T00:00:00') }), line({ line: 5 })])
  t.same(s.result(), { rowsAccepted: 4, customers: 2, invoices: 2, countries: 2, dateFrom: at('2009-01-01T00:00:00'), dateTo: at('2012-01-01T00:00:00') })
})

// ---------------------------------------------------------------------------------------------
// Property: any rows written as CSV read back as the same lines, whatever the chunking.

const CHARS = ['a', 'Z', '7', ' ', ',', ';', '"', '\n', '\r\n', "'", 'é', 'ß', '€', '中', '😀', '\t', '#', '=']
const text = (max: number) => fc.array(fc.constantFrom(...CHARS), { maxLength: max }).map((a) => a.join(''))
const code = fc.stringMatching(/^[0-9A-Z]{1,8}$/)

const rowArb = fc.record({
  invoiceNo: fc.oneof(fc.integer({ min: 500000, max: 599999 }).map(String), code.map((c) => `C${c}`)),
  stockCode: code,
  description: text(30),
  quantity: fc.integer({ min: -100000, max: 100000 }),
  // Minutes, so that every date style can write it exactly.
  minute: fc.integer({ min: 0, max: 60 * 24 * 365 * 30 }),
  dateStyle: fc.constantFrom('iso', 'iso-short', 'us', 'serial'),
  priceMilli: fc.integer({ min: -10_000_000, max: 10_000_000 }),
  customerId: fc.option(fc.integer({ min: 10000, max: 99999 }), { nil: null }),
  customerFloat: fc.boolean(),
  country: fc.constantFrom('United Kingdom', 'France', 'EIRE', "Côte d'Ivoire", ''),
  quoteAll: fc.boolean(),
})

type RowSpec = typeof rowArb extends fc.Arbitrary<infer R> ? R : never

const two = (n: number) => String(n).padStart(2, '0')

function writeDate(ms: number, style: RowSpec['dateStyle']): string {
  const d = new Date(ms)
  const ymd = `${d.getUTCFullYear()}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())}`
  if (style === 'iso') return `${ymd} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:00`
  if (style === 'iso-short') return `${ymd} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}`
  if (style === 'us') return `${d.getUTCMonth() + 1}/${d.getUTCDate()}/${d.getUTCFullYear()} ${d.getUTCHours()}:${two(d.getUTCMinutes())}`
  return String(ms / 86_400_000 + 25_569)
}

function field(value: string, quote: boolean): string {
  return quote || /[",\n\r]/.test(value) || value !== value.trim() ? `"${value.replaceAll('"', '""')}"` : value
}

const EPOCH_2000 = at('2000-01-01T00:00:00')

tap.test('property: random rows round-trip through CSV and random chunking', async (t) => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(rowArb, { minLength: 1, maxLength: 25 }),
      fc.boolean(),
      fc.constantFrom('\n', '\r\n'),
      fc.array(fc.integer({ min: 0, max: 100 }), { maxLength: 12 }),
      fc.boolean(),
      async (specs, secondHeader, eol, cuts, gzip) => {
        const lines: string[] = [secondHeader ? HEADER_II : HEADER]
        const expected: Line[] = []
        let lineNo = 2
        for (const s of specs) {
          const ms = EPOCH_2000 + s.minute * 60_000
          const cells = [
            s.invoiceNo,
            s.stockCode,
            s.description,
            String(s.quantity),
            writeDate(ms, s.dateStyle),
            String(s.priceMilli / 1000),
            s.customerId === null ? '' : s.customerFloat ? `${s.customerId}.0` : String(s.customerId),
            s.country,
          ]
          const record = cells.map((c) => field(c, s.quoteAll)).join(',')
          lines.push(record)
          const description = s.description.trim()
          expected.push({
            line: lineNo,
            invoiceNo: s.invoiceNo,
            stockCode: s.stockCode,
            description: description === '' ? null : description,
            quantity: s.quantity,
            invoiceDate: ms,
            unitPrice: s.priceMilli / 1000,
            customerId: s.customerId === null ? null : String(s.customerId),
            country: s.country === '' ? null : s.country,
          })
          lineNo += 1 + (record.match(/\n/g)?.length ?? 0)
        }
        let bytes = Buffer.from(lines.join(eol) + eol)
        if (gzip) bytes = gzipSync(bytes)
        const positions = [...new Set(cuts.map((c) => Math.floor((c / 100) * bytes.length)))].sort((a, b) => a - b)
        const chunks = [0, ...positions].map((from, i) => bytes.subarray(from, [...positions, bytes.length][i])).filter((c) => c.length > 0)
        // Month-first dates decide the file once one has a day > 12; otherwise it is refused
        // (reading.ts) and read with the override, as a user would upload it again.
        const us = specs.filter((s) => s.dateStyle === 'us').map((s) => new Date(EPOCH_2000 + s.minute * 60_000).getUTCDate())
        const decided = us.length === 0 || us.some((d) => d > 12)
        if (!decided) {
          const p = await problem(chunks)
          if (p.status !== 422 || p.title !== 'Date format undecided') return false
        }
        const r = await read(chunks, decided ? {} : { reading: { dateFormat: 'MM/DD/YYYY HH:mm' } })
        const same = r.rejections.length === 0 && JSON.stringify(r.rows) === JSON.stringify(expected)
        if (!same) t.same({ rows: r.rows, rejections: r.rejections }, { rows: expected, rejections: [] })
        return same
      },
    ),
    { numRuns: Number(process.env.INGEST_RUNS ?? 150) },
  )
  t.pass('150 random files read back exactly')
})

tap.test('property: a description of any printable text is read back as written', async (t) => {
  await fc.assert(
    fc.asyncProperty(fc.string({ unit: 'grapheme', maxLength: 40 }), async (description) => {
      // Control characters other than tab and line breaks make a file binary (tested above).
      fc.pre(![...description].some((ch) => (ch < ' ' && !'\t\n\r'.includes(ch)) || ch === '\x7f'))
      const r = await read(csv(`1,A,${field(description, false)},1,2010-12-01 08:26,1,1,UK`))
      const want = description.trim() === '' ? null : description.trim()
      return r.rows[0]?.description === want || (t.equal(r.rows[0]?.description, want), false)
    }),
    { numRuns: 200 },
  )
  t.pass('200 random descriptions read back')
})
