// The xlsx path: workbooks written by exceljs (both of its writers, shared or inline strings)
// read back to exactly the lines the same rows give as CSV; the worksheet scanner on hand-written
// XML; and every refused workbook (not a workbook, truncated, corrupt, bombs of three kinds).
import { Readable, PassThrough } from 'node:stream'
import { constants, crc32, deflateRawSync } from 'node:zlib'
import ExcelJS from 'exceljs'
import fc from 'fast-check'
import tap from 'tap'
import { HttpProblem } from '../src/errors.ts'
import type { Line } from '../src/pipeline/types.ts'
import type { Cell } from '../src/ingest/record.ts'
import { SharedStringsScanner } from '../src/ingest/shared-strings.ts'
import { SheetScanner, type SheetRow } from '../src/ingest/sheetxml.ts'
import { decodeXmlText } from '../src/ingest/xml-scanner.ts'
import { readUpload, type UploadHints, type UploadResult } from '../src/ingest/upload.ts'

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'
const HEADER = ['InvoiceNo', 'StockCode', 'Description', 'Quantity', 'InvoiceDate', 'UnitPrice', 'CustomerID', 'Country']
const GiB = 1024 ** 3
const LIMITS = { maxBytes: GiB, maxInflatedBytes: 4 * GiB }
const at = (iso: string) => Date.parse(`${iso}Z`)

interface Read {
  rows: Line[]
  rejections: { line: number; reason: string }[]
  result: UploadResult
}

async function read(body: Buffer | Buffer[], hints: Partial<UploadHints> = {}): Promise<Read> {
  const reader = readUpload(Readable.from(Array.isArray(body) ? body : [body]), { ...LIMITS, contentType: XLSX, ...hints })
  const out: Read = { rows: [], rejections: [], result: undefined as never }
  for await (const batch of reader.batches) {
    out.rows.push(...batch.rows)
    out.rejections.push(...batch.rejections)
  }
  out.result = reader.result()
  return out
}

async function problem(body: Buffer | string, hints: Partial<UploadHints> = {}): Promise<HttpProblem> {
  try {
    await read(Buffer.from(body), hints)
  } catch (err) {
    if (err instanceof HttpProblem) return err
    throw err
  }
  throw new Error('expected an HttpProblem, the workbook was read')
}

type Row = ExcelJS.CellValue[]

/** A workbook through exceljs's in-memory writer (jszip: sizes in the local headers). */
async function workbook(sheets: Record<string, Row[]>, date1904 = false): Promise<Buffer> {
  const wb = new ExcelJS.Workbook()
  if (date1904) wb.properties.date1904 = true
  for (const [name, rows] of Object.entries(sheets)) {
    const ws = wb.addWorksheet(name)
    for (const row of rows) ws.addRow(row)
    ws.getColumn(5).numFmt = 'yyyy-mm-dd hh:mm'
  }
  return Buffer.from(await wb.xlsx.writeBuffer())
}

/** A workbook through exceljs's streaming writer (archiver: data descriptors, sheets first). */
async function streamedWorkbook(rows: Row[], useSharedStrings: boolean): Promise<Buffer> {
  const out = new PassThrough()
  const chunks: Buffer[] = []
  out.on('data', (c: Buffer) => chunks.push(c))
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useSharedStrings, useStyles: true })
  const ws = wb.addWorksheet('Online Retail')
  ws.getColumn(5).numFmt = 'yyyy-mm-dd hh:mm'
  for (const row of rows) ws.addRow(row).commit()
  ws.commit()
  await wb.commit()
  return Buffer.concat(chunks)
}

// ---------------------------------------------------------------------------------------------
// A minimal zip writer, for archives exceljs would never write.

interface ZipEntry {
  name: string
  data?: Buffer
  /** Pre-deflated data (method 8); `size` and `crc` then describe the inflated bytes. */
  deflated?: Buffer
  size?: number
  crc?: number
  method?: number
}

function zip(entries: ZipEntry[]): Buffer {
  const parts: Buffer[] = []
  const central: Buffer[] = []
  let offset = 0
  for (const e of entries) {
    const name = Buffer.from(e.name)
    const data = e.data ?? Buffer.alloc(0)
    const method = e.method ?? (e.deflated ? 8 : 0)
    const body = e.deflated ?? data
    const crc = e.crc ?? crc32(data)
    const size = e.size ?? data.length
    const local = Buffer.alloc(30)
    local.writeUInt32LE(0x04034b50, 0)
    local.writeUInt16LE(20, 4)
    local.writeUInt16LE(method, 8)
    local.writeUInt32LE(crc, 14)
    local.writeUInt32LE(body.length, 18)
    local.writeUInt32LE(size, 22)
    local.writeUInt16LE(name.length, 26)
    const dir = Buffer.alloc(46)
    dir.writeUInt32LE(0x02014b50, 0)
    dir.writeUInt16LE(20, 4)
    dir.writeUInt16LE(20, 6)
    dir.writeUInt16LE(method, 10)
    dir.writeUInt32LE(crc, 16)
    dir.writeUInt32LE(body.length, 20)
    dir.writeUInt32LE(size, 24)
    dir.writeUInt16LE(name.length, 28)
    dir.writeUInt32LE(offset, 42)
    parts.push(local, name, body)
    central.push(dir, name)
    offset += 30 + name.length + body.length
  }
  const dirBytes = Buffer.concat(central)
  const end = Buffer.alloc(22)
  end.writeUInt32LE(0x06054b50, 0)
  end.writeUInt16LE(entries.length, 8)
  end.writeUInt16LE(entries.length, 10)
  end.writeUInt32LE(dirBytes.length, 12)
  end.writeUInt32LE(offset, 16)
  return Buffer.concat([...parts, dirBytes, end])
}

const WORKBOOK_XML = Buffer.from(
  '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" ' +
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Data" sheetId="1" r:id="rId1"/></sheets></workbook>',
)
const WORKBOOK_RELS = Buffer.from(
  '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' +
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
)
const SHEET_OPEN = '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
const SHEET_CLOSE = '</sheetData></worksheet>'

const inlineRow = (r: number, values: (string | number)[]) =>
  `<row r="${r}">${values.map((v, i) => (typeof v === 'number' ? `<c r="${String.fromCharCode(65 + i)}${r}"><v>${v}</v></c>` : `<c r="${String.fromCharCode(65 + i)}${r}" t="inlineStr"><is><t>${v}</t></is></c>`)).join('')}</row>`

/** A hand-made workbook whose sheet comes first (so exceljs would spool it to disk). */
const handMade = (sheet: ZipEntry) => zip([sheet, { name: 'xl/workbook.xml', data: WORKBOOK_XML }, { name: 'xl/_rels/workbook.xml.rels', data: WORKBOOK_RELS }])

// ---------------------------------------------------------------------------------------------

const ROWS: Row[] = [
  ['536365', '85123A', 'WHITE HANGING HEART T-LIGHT HOLDER', 6, new Date(at('2010-12-01T08:26:00')), 2.55, 17850, 'United Kingdom'],
  ['C536379', 'D', 'Discount', -1, new Date(at('2010-12-01T09:41:00')), 27.5, 14527, 'United Kingdom'],
  [536414, 22139, null, 56, new Date(at('2010-12-01T11:52:00')), 0, null, 'United Kingdom'],
  ['536520', '21123', 'SET/10 RED <POLKADOT> & "PARTY" CANDLES', 1, 40513.5625, 1.25, '14729', 'France'],
  ['536521', 'POST', 'CAFÉ ✓ 中文 😀', 2, new Date(at('2011-02-28T23:59:00')), 18, 12583, "Côte d'Ivoire"],
]
const AS_CSV = [
  HEADER.join(','),
  '536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2010-12-01 08:26:00,2.55,17850,United Kingdom',
  'C536379,D,Discount,-1,2010-12-01 09:41,27.5,14527,United Kingdom',
  '536414,22139,,56,2010-12-01 11:52:00,0,,United Kingdom',
  '536520,21123,"SET/10 RED <POLKADOT> & ""PARTY"" CANDLES",1,2010-12-01 13:30:00,1.25,14729,France',
  "536521,POST,CAFÉ ✓ 中文 😀,2,2011-02-28 23:59:00,18,12583.0,Côte d'Ivoire",
].join('\n')

tap.test('an xlsx gives exactly the lines of the same rows as CSV', async (t) => {
  const fromCsv = await read(Buffer.from(AS_CSV), { contentType: 'text/csv' })
  t.equal(fromCsv.rows.length, 5)
  t.equal(fromCsv.rows[3]?.invoiceDate, at('2010-12-01T13:30:00'), 'serial 40513.5625 is 2010-12-01 13:30 (40513.35 is the first UCI invoice, 08:26)')
  const books = {
    'in-memory writer (shared strings)': await workbook({ 'Online Retail': [HEADER, ...ROWS] }),
    'streaming writer, shared strings': await streamedWorkbook([HEADER, ...ROWS], true),
    'streaming writer, inline strings': await streamedWorkbook([HEADER, ...ROWS], false),
    '1904 date system': await workbook({ 'Online Retail': [HEADER, ...ROWS.map((r) => r.map((v) => (v === 40513.5625 ? 40513.5625 - 1462 : v)))] }, true),
  }
  for (const [name, bytes] of Object.entries(books)) {
    const r = await read(bytes)
    t.same(r.rows, fromCsv.rows, name)
    t.same(r.rejections, [], `${name}: no rejections`)
    t.match(r.result, { format: 'xlsx', bytes: bytes.length, rows: { read: 5, accepted: 5, rejected: 0 } }, `${name}: result`)
  }
  const split = await read(Array.from({ length: Math.ceil(books['streaming writer, shared strings'].length / 7) }, (_, i) => books['streaming writer, shared strings'].subarray(i * 7, i * 7 + 7)))
  t.same(split.rows, fromCsv.rows, 'the same through 7-byte chunks')
  t.equal(typeof split.rows[2]?.stockCode, 'string', 'numeric stock codes and ids stay strings')
  t.same([split.rows[2]?.invoiceNo, split.rows[2]?.stockCode, split.rows[0]?.customerId], ['536414', '22139', '17850'])
})

tap.test('cell kinds: rich text, formulas, hyperlinks, errors, booleans', async (t) => {
  const book = await workbook({
    s: [
      HEADER,
      ['1', 'A', { richText: [{ text: 'RED ', font: { bold: true } }, { text: 'MUG' }] }, { formula: '2*3', result: 6 }, new Date(at('2011-01-02T03:04:00')), 1.5, { formula: '"12"&"345"', result: '12345' }, { text: 'France', hyperlink: 'https://example.com' }],
      ['2', 'B', 'NA QUANTITY', { error: '#N/A' }, new Date(at('2011-01-02T03:04:00')), 1, 1, 'UK'],
      ['3', 'C', true, 1, new Date(at('2011-01-02T03:04:00')), 1, 1, 'UK'],
      ['4', 'D', 'TEXT DATE', 1, '12/31/2011 23:00', '7.25', '', 'UK'],
      ['5', 'E', { error: '#REF!' }, 1, new Date(at('2011-01-02T03:04:00')), 1, 1, 'UK'],
    ],
  })
  const r = await read(book)
  t.same(r.rows.map((x) => [x.line, x.description, x.quantity, x.customerId, x.country]), [
    [2, 'RED MUG', 6, '12345', 'France'],
    [4, 'TRUE', 1, '1', 'UK'],
    [5, 'TEXT DATE', 1, null, 'UK'],
  ])
  t.equal(r.rows[2]?.invoiceDate, at('2011-12-31T23:00:00'), 'a date typed as text')
  t.equal(r.rows[2]?.unitPrice, 7.25, 'a number typed as text')
  t.same(r.rejections.map((x) => x.line), [3, 6])
  t.match(r.rejections[0]?.reason, /^quantity "#N\/A" is not an integer/)
  t.equal(r.rejections[1]?.reason, 'description: the cell is an error ("#REF!")')
})

tap.test('several sheets, a header below blank rows, sheet row numbers', async (t) => {
  const book = await workbook({
    'Year 2009-2010': [[], [], ['Invoice', 'StockCode', 'Description', 'Quantity', 'InvoiceDate', 'Price', 'Customer ID', 'Country'], ['489434', '85048', 'ROSE', 12, new Date(at('2009-12-01T07:45:00')), 6.95, 13085, 'United Kingdom'], [], ['489435', '22350', 'CAT', 12, new Date(at('2009-12-01T07:46:00')), 2.55, 13085, 'United Kingdom']],
    'Year 2010-2011': [HEADER, ['536365', '85123A', 'HEART', 6, new Date(at('2010-12-01T08:26:00')), 2.55, 17850, 'United Kingdom'], ['536366', '22633', 'BAD', 'six', new Date(at('2010-12-01T08:28:00')), 1.85, 17850, 'United Kingdom']],
    Empty: [],
  })
  const r = await read(book)
  t.same(r.rows.map((x) => [x.line, x.invoiceNo]), [[4, '489434'], [6, '489435'], [2, '536365']], 'every sheet, lines are sheet rows')
  t.same(r.rejections, [{ line: 3, reason: 'sheet "Year 2010-2011": quantity "six" is not an integer' }], 'a later sheet names itself')
  // Issue 11: a sheet whose header does not map is skipped (and named in the answer), not a 422.
  const withNotes = await read(await workbook({ a: [HEADER, ['1', 'A', 'X', 1, 40513, 1, 1, 'UK']], notes: [['Comment'], ['hello']] }))
  t.equal(withNotes.rows.length, 1, 'the data sheet is read, the notes sheet skipped')
  const bad = await problem(await workbook({ notes: [['Comment'], ['hello']], more: [['x']] }))
  t.equal(bad.status, 422, 'no sheet maps: 422')
  t.match(bad.detail, /^missing required columns: InvoiceNo/)
})

tap.test('the worksheet scanner', async (t) => {
  const shared = ['zero', 'one']
  const scan = (xml: string, chunk = xml.length): SheetRow[] => {
    const scanner = new SheetScanner(shared)
    const bytes = Buffer.from(xml)
    for (let i = 0; i < bytes.length; i += chunk) scanner.push(bytes.subarray(i, i + chunk))
    scanner.end()
    return scanner.rows
  }
  const xml =
    `<?xml version="1.0"?><!-- a comment --><x:worksheet xmlns:x="urn:x"><x:cols><x:col min='1' max='2'/></x:cols><x:sheetData>` +
    `<x:row r='3' spans="1:9"><x:c r='A3' t='s'><x:v>1</x:v></x:c><x:c r="C3" t="inlineStr"><x:is><x:r><x:rPr><x:b/></x:rPr><x:t>A &amp; B</x:t></x:r><x:r><x:t xml:space="preserve"> &lt;C&gt; &#233;&#x1F600;</x:t></x:r><x:rPh><x:t>PHONETIC</x:t></x:rPh></x:is></x:c>` +
    `<x:c r="D3"><x:f>1+1</x:f><x:v>2</x:v></x:c><x:c r="E3" t="b"><x:v>1</x:v></x:c><x:c r="F3" t="e"><x:v>#DIV/0!</x:v></x:c><x:c r="G3" t="str"><x:v><![CDATA[a<b&c]]></x:v></x:c><x:c r="H3" s="4"/><x:c r="AA3" t="d"><x:v>2010-12-01T08:26:00</x:v></x:c></x:row>` +
    `<x:row><x:c t="s"><x:v>0</x:v></x:c><x:c><x:v>-1.5e3</x:v></x:c><x:c t="s"><x:v>7</x:v></x:c></x:row><x:row r="9"/>` +
    `</x:sheetData><x:hyperlinks><x:hyperlink ref="A1" display="a > b"/></x:hyperlinks></x:worksheet>`
  const want: SheetRow[] = [
    { r: 3, cells: ['one', undefined, 'A & B <C> é😀', 2, true, { error: '#DIV/0!' }, 'a<b&c'] },
    { r: 4, cells: ['zero', -1500, { error: 'shared string 7 does not exist' }] },
  ]
  want[0]!.cells[26] = '2010-12-01T08:26:00'
  const whole = scan(xml)
  t.same(whole, want, 'prefixes, both quotes, rich and phonetic runs, formulas, every cell type, missing r')
  let splits = 0
  for (let chunk = 1; chunk < 64; chunk++) {
    if (JSON.stringify(scan(xml, chunk)) !== JSON.stringify(whole)) t.fail(`differs with ${chunk}-byte chunks`)
    else splits++
  }
  t.equal(splits, 63, 'the same rows at every chunk size from 1 to 63 bytes')
  t.equal(decodeXmlText('a\r\nb\rc&amp;&#13;'), 'a\nb\nc&\r', 'XML line-end normalization; &#13; stays')
  t.equal(decodeXmlText('&#x110000;&#99999999;&unknown;'), '&#x110000;&#99999999;&unknown;', 'impossible references are left as written')

  const sst =
    '<?xml version="1.0"?><sst xmlns="urn:x" count="5"><si><t>plain €</t></si><si/><si><r><rPr><b/></rPr><t>RED </t></r><r><t xml:space="preserve">MUG &amp; CUP</t></r></si>' +
    '<si><t>漢字</t><rPh sb="0" eb="2"><t>かんじ</t></rPh><phoneticPr fontId="1"/></si><si><t></t></si></sst>'
  const sstBytes = Buffer.from(sst)
  for (const chunk of [sstBytes.length, 1, 2, 3, 5]) {
    const scanner = new SharedStringsScanner()
    for (let i = 0; i < sstBytes.length; i += chunk) scanner.push(sstBytes.subarray(i, i + chunk))
    t.same(scanner.end(), ['plain €', '', 'RED MUG & CUP', '漢字', ''], `shared strings, ${chunk}-byte chunks: runs joined, phonetic text left out`)
  }
  t.throws(() => scan('<!DOCTYPE x [<!ENTITY a "b">]><worksheet/>'), { name: 'HttpProblem', message: /DOCTYPE/ })
  t.throws(() => scan(`${SHEET_OPEN}<row r="1"><c r="A1"><v>1</v>`), { name: 'HttpProblem', message: /truncated/ })
  t.throws(() => scan(`${SHEET_OPEN}<row r=1>`), { name: 'HttpProblem', message: /unquoted attribute/ })
})

tap.test('a hand-made workbook, sheet before workbook.xml, sizes in the headers', async (t) => {
  const sheet = `${SHEET_OPEN}${inlineRow(1, HEADER)}${inlineRow(2, ['536365', '85123A', 'HEART', 6, 40513.35138888889, 2.55, 17850, 'United Kingdom'])}${SHEET_CLOSE}`
  const data = Buffer.from(sheet)
  const stored = await read(handMade({ name: 'xl/worksheets/sheet1.xml', data }))
  const deflated = await read(handMade({ name: 'xl/worksheets/sheet1.xml', deflated: deflateRawSync(data), size: data.length, crc: crc32(data) }))
  const want = [{ line: 2, invoiceNo: '536365', stockCode: '85123A', description: 'HEART', quantity: 6, invoiceDate: at('2010-12-01T08:26:00'), unitPrice: 2.55, customerId: '17850', country: 'United Kingdom' }]
  t.same(stored.rows, want, 'stored entries')
  t.same(deflated.rows, want, 'deflated entries')
})

tap.test('refused workbooks: status and reason', async (t) => {
  const good = await streamedWorkbook([HEADER, ...ROWS], true)
  const sheetXml = Buffer.from(`${SHEET_OPEN}${inlineRow(1, HEADER)}${SHEET_CLOSE}`)

  // A sheet that inflates to 512 MiB from about 1 MB: one deflated MiB of rows, flushed so that
  // its bytes can be repeated, then an empty final block.
  const block = Buffer.from(inlineRow(2, ['536365', '85123A', 'HEART', 6, 40513, 2.55, 17850, 'UK']).repeat(4000)).subarray(0, 2 ** 20)
  const piece = deflateRawSync(block, { finishFlush: constants.Z_FULL_FLUSH, level: 9 })
  const head = deflateRawSync(Buffer.from(SHEET_OPEN + inlineRow(1, HEADER)), { finishFlush: constants.Z_FULL_FLUSH })
  const bombData = Buffer.concat([head, ...Array.from({ length: 512 }, () => piece), Buffer.from([0x03, 0x00])])
  const sheetBomb = handMade({ name: 'xl/worksheets/sheet1.xml', deflated: bombData, size: 0xfffffff, crc: 0 })

  // exceljs's own example of a bomb: 12,000 rows sharing one 30,000-character string, a few
  // hundred kB zipped and 360 MB of cell text once the shared string is expanded.
  const amplified = new ExcelJS.Workbook()
  const ws = amplified.addWorksheet('s')
  ws.addRow(HEADER)
  const filler = 'A'.repeat(30000)
  for (let i = 0; i < 12000; i++) ws.addRow(['1', '2', filler, 1, '2010-12-01 08:26:00', 1, '1', 'X'])
  const amplifiedBytes = Buffer.from(await amplified.xlsx.writeBuffer())

  const textRun = Buffer.from(`${SHEET_OPEN}<row r="1"><c r="A1" t="inlineStr"><is><t>${Array.from({ length: 300_000 }, (_, i) => (i * 2654435761) % 1e9).join('')}`)
  const corrupted = Buffer.from(good)
  corrupted.fill(0x41, 2000, 2100)
  const cases: { name: string; body: Buffer | string; hints?: Partial<UploadHints>; status: number; detail: RegExp }[] = [
    { name: 'a zip that is not a workbook', body: zip([{ name: 'hello.txt', data: Buffer.from('not a workbook') }]), status: 422, detail: /^a zip that is not a workbook: it has no xl\/workbook.xml \(entries: hello.txt\)/ },
    { name: 'an empty zip', body: zip([]), status: 422, detail: /^a zip that is not a workbook: the archive is empty/ },
    { name: 'truncated in an entry', body: good.subarray(0, good.length >> 1), status: 422, detail: /^truncated or corrupt zip: it ends (inside the entry|before)/ },
    { name: 'truncated in the directory', body: good.subarray(0, good.length - 30), status: 422, detail: /^truncated or corrupt zip: it ends inside its central directory/ },
    { name: 'corrupt deflate data', body: corrupted, status: 422, detail: /^corrupt zip|^truncated or corrupt zip/ },
    { name: 'a CRC that does not match', body: handMade({ name: 'xl/worksheets/sheet1.xml', data: sheetXml, crc: 12345 }), status: 422, detail: /^corrupt zip: the entry xl\/worksheets\/sheet1.xml fails its CRC-32 check/ },
    { name: 'an unsupported compression method', body: handMade({ name: 'xl/worksheets/sheet1.xml', data: sheetXml, method: 12 }), status: 422, detail: /compression method 12; only deflate/ },
    { name: 'header only', body: handMade({ name: 'xl/worksheets/sheet1.xml', data: sheetXml }), status: 422, detail: /^no data rows: the worksheet has a header but no data rows/ },
    { name: 'empty sheets', body: await workbook({ a: [], b: [] }), status: 422, detail: /^no data rows: the worksheets are empty/ },
    { name: 'missing columns', body: await workbook({ a: [HEADER.slice(0, 6), ['1', '2', 'x', 1, 40513, 1]] }), status: 422, detail: /^missing required columns: CustomerID, Country/ },
    { name: 'a sheet inflating to 512 MiB', body: sheetBomb, status: 413, detail: /^the workbook part xl\/worksheets\/sheet1.xml inflates more than 200:1 \(16(\.\d)? MiB from .*decompression bomb/ },
    { name: 'over maxInflatedBytes', body: good, hints: { maxInflatedBytes: 4096 }, status: 413, detail: /^the workbook inflates to more than 4096 bytes .*decompression bomb/ },
    { name: 'repeated shared strings', body: amplifiedBytes, status: 413, detail: /^the workbook expands to more than 200 times its size in cell text/ },
    { name: 'shared strings over their cap', body: good, hints: { maxSharedStringsBytes: 100 }, status: 413, detail: /^the workbook part xl\/sharedStrings.xml inflates to more than 100 bytes, the most that is read into memory/ },
    { name: 'a megabyte without markup', body: handMade({ name: 'xl/worksheets/sheet1.xml', data: textRun }), status: 422, detail: /more than 1 MiB of text without markup/ },
    { name: 'over maxBytes', body: good, hints: { maxBytes: 1000 }, status: 413, detail: /^the upload is larger than 1000 bytes/ },
    { name: 'xlsx said, CSV sent', body: `${HEADER.join(',')}\n`, status: 422, detail: /says xlsx .* not a zip archive/ },
  ]
  for (const c of cases) {
    const started = Date.now()
    const p = await problem(c.body, c.hints)
    t.equal(p.status, c.status, `${c.name}: ${c.status} (${p.detail})`)
    t.match(p.detail, c.detail, `${c.name}: detail`)
    // Reported, not asserted (a loaded machine is slow): the refusal itself is what is checked.
    if (c.name.includes('512 MiB')) t.comment(`refused in ${Date.now() - started} ms, before inflating it`)
  }
})

// ---------------------------------------------------------------------------------------------
// Property: random rows written by exceljs read back as the lines they describe.

const TEXT = ['a', 'Z', '7', ' ', ',', '"', "'", '<', '>', '&', '\n', 'é', '€', '中', '😀', ';']
const cellText = fc.array(fc.constantFrom(...TEXT), { maxLength: 20 }).map((a) => a.join(''))

const specArb = fc.record({
  invoiceNo: fc.oneof(fc.integer({ min: 500000, max: 599999 }), fc.stringMatching(/^C[0-9]{6}$/)),
  stockCode: fc.oneof(fc.integer({ min: 10000, max: 99999 }), fc.stringMatching(/^[0-9]{5}[A-Z]{1,2}$/)),
  description: fc.option(cellText, { nil: null }),
  quantity: fc.integer({ min: -100000, max: 100000 }),
  minute: fc.integer({ min: 0, max: 60 * 24 * 365 * 30 }),
  asSerial: fc.boolean(),
  priceMilli: fc.integer({ min: -1_000_000, max: 1_000_000 }),
  customerId: fc.option(fc.integer({ min: 10000, max: 99999 }), { nil: null }),
  country: fc.constantFrom('United Kingdom', 'France', "Côte d'Ivoire"),
})

tap.test('property: random rows round-trip through exceljs workbooks', async (t) => {
  const EPOCH = at('2000-01-01T00:00:00')
  await fc.assert(
    fc.asyncProperty(fc.array(specArb, { minLength: 1, maxLength: 15 }), fc.boolean(), fc.integer({ min: 1, max: 5000 }), async (specs, shared, chunk) => {
      const rows: Row[] = specs.map((s) => {
        const ms = EPOCH + s.minute * 60_000
        return [s.invoiceNo, s.stockCode, s.description, s.quantity, s.asSerial ? ms / 86_400_000 + 25_569 : new Date(ms), s.priceMilli / 1000, s.customerId, s.country] as Cell[] as Row
      })
      const bytes = await streamedWorkbook([HEADER, ...rows], shared)
      const chunks = Array.from({ length: Math.ceil(bytes.length / chunk) }, (_, i) => bytes.subarray(i * chunk, (i + 1) * chunk))
      const r = await read(chunks)
      const expected: Line[] = specs.map((s, i) => ({
        line: i + 2,
        invoiceNo: String(s.invoiceNo),
        stockCode: String(s.stockCode),
        description: s.description === null || s.description.trim() === '' ? null : s.description.trim(),
        quantity: s.quantity,
        invoiceDate: EPOCH + s.minute * 60_000,
        unitPrice: s.priceMilli / 1000,
        customerId: s.customerId === null ? null : String(s.customerId),
        country: s.country,
      }))
      const same = r.rejections.length === 0 && JSON.stringify(r.rows) === JSON.stringify(expected)
      if (!same) t.same({ rows: r.rows, rejections: r.rejections }, { rows: expected, rejections: [] })
      return same
    }),
    { numRuns: Number(process.env.INGEST_RUNS ?? 40) },
  )
  t.pass('40 random workbooks read back exactly')
})
