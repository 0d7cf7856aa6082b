// The upload corpus: one file per shape retailers export (issue 11) plus the shapes that already
// worked, all made from the same rows (the shipped 445-customer sample, or the full UCI file),
// each with what the service must answer. `test/corpus.test.ts` uploads every file; the script
// `test/make-corpus.ts` writes them to a folder for trying by hand or with curl.
//
// A file's expectation is the rows it should store, as canonical text lines whose sha256 is
// compared with the stored rows' (see canonical()), or the refusal it should get.
import { createHash } from 'node:crypto'
import { readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { gzipSync } from 'node:zlib'
import ExcelJS from 'exceljs'
import Papa from 'papaparse'

export const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'
export const HEADER = ['InvoiceNo', 'StockCode', 'Description', 'Quantity', 'InvoiceDate', 'UnitPrice', 'CustomerID', 'Country']
export const HEADER_II = ['Invoice', 'StockCode', 'Description', 'Quantity', 'InvoiceDate', 'Price', 'Customer ID', 'Country']

/** One row of the source, as written in the UCI CSV. */
export interface Row {
  invoiceNo: string
  stockCode: string
  description: string
  quantity: string
  /** Wall-clock parts. */
  y: number
  mo: number
  d: number
  h: number
  mi: number
  s: number
  price: string
  customerId: string
  country: string
}

export function parseRows(csvText: string): Row[] {
  const { data } = Papa.parse<string[]>(csvText, { skipEmptyLines: true })
  return data.slice(1).map((r) => {
    const date = r[4]!
    return {
      invoiceNo: r[0]!, stockCode: r[1]!, description: r[2]!, quantity: r[3]!,
      y: +date.slice(0, 4), mo: +date.slice(5, 7), d: +date.slice(8, 10), h: +date.slice(11, 13), mi: +date.slice(14, 16), s: +date.slice(17, 19),
      price: r[5]!, customerId: r[6]!, country: r[7]!,
    }
  })
}

const p2 = (n: number) => String(n).padStart(2, '0')
export const isoDate = (r: Row) => `${r.y}-${p2(r.mo)}-${p2(r.d)} ${p2(r.h)}:${p2(r.mi)}:${p2(r.s)}`
const usDate = (r: Row) => `${r.mo}/${r.d}/${r.y} ${r.h}:${p2(r.mi)}`
const ukDate = (r: Row) => `${p2(r.d)}/${p2(r.mo)}/${r.y} ${p2(r.h)}:${p2(r.mi)}`
const dottedDate = (r: Row) => `${p2(r.d)}.${p2(r.mo)}.${r.y} ${p2(r.h)}:${p2(r.mi)}`

/** A row as the canonical text the checksum covers (the stored row reads the same). */
export function canonical(r: { invoiceNo: string; stockCode: string; description: string | null; quantity: number; date: string; price: number; customerId: string | null; country: string | null }): string {
  return [r.invoiceNo.trim(), r.stockCode.trim(), (r.description ?? '').trim(), r.quantity, r.date, r.price, r.customerId ?? '', (r.country ?? '').trim()].join('\u0001')
}

export const rowCanonical = (r: Row) =>
  canonical({ invoiceNo: r.invoiceNo, stockCode: r.stockCode, description: r.description, quantity: Number(r.quantity), date: isoDate(r), price: Number(r.price), customerId: r.customerId.replace(/\.0+$/, '') || null, country: r.country })

/** sha256 of the sorted canonical lines: equal for equal multisets of rows. */
export function checksum(lines: string[]): string {
  return createHash('sha256').update([...lines].sort().join('\n')).digest('hex')
}

const quote = (v: string, sep: string) => (v.includes(sep) || /["\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v)

interface CsvShape {
  sep?: string
  eol?: string
  header?: string[]
  date?: (r: Row) => string
  price?: (r: Row) => string
  customer?: (r: Row) => string
  description?: (r: Row, i: number) => string
  /** Column order: indexes into the eight fields, plus -1 for an extra column. */
  order?: number[]
}

export function toCsv(rows: Row[], shape: CsvShape = {}): string {
  const sep = shape.sep ?? ','
  const eol = shape.eol ?? '\n'
  const order = shape.order ?? [0, 1, 2, 3, 4, 5, 6, 7]
  const header = shape.header ?? HEADER
  const lines = [order.map((i) => (i < 0 ? 'Notes' : header[i]!)).join(sep)]
  rows.forEach((r, n) => {
    const f = [r.invoiceNo, r.stockCode, shape.description ? shape.description(r, n) : r.description, r.quantity, (shape.date ?? isoDate)(r), (shape.price ?? ((x) => x.price))(r), (shape.customer ?? ((x) => x.customerId))(r), r.country]
    lines.push(order.map((i) => quote(i < 0 ? `extra ${n}` : f[i]!, sep)).join(sep))
  })
  return lines.join(eol) + eol
}

export interface Expect {
  status: number
  /** rows.read and rows.rejected; accepted = read - rejected. */
  read?: number
  rejected?: number
  /** Canonical lines of the rows that must be stored. */
  stored?: string[]
  dateRange?: { from: string; to: string }
  dateFormat?: string
  decimal?: '.' | ','
  /** Lines (CSV) of the rejections, when listed. */
  rejectedLines?: number[]
  sheets?: { name: string; read: number }[]
  skippedSheets?: string[]
  /** For refusals: the problem's title and a pattern of its detail. */
  title?: string
  detail?: RegExp
  errorPaths?: string[]
}

export interface CorpusFile {
  name: string
  body: Buffer
  headers: Record<string, string>
  query?: string
  expect: Expect
}

const range = (rows: Row[]) => {
  const dates = rows.map(isoDate).sort()
  return { from: dates[0]!.replace(' ', 'T'), to: dates[dates.length - 1]!.replace(' ', 'T') }
}

const csvType = { 'content-type': 'text/csv' }

/** Every CSV shape, from `rows` (the sample's); deterministic. */
export function csvCorpus(rows: Row[]): CorpusFile[] {
  const all = rows.map(rowCanonical)
  const ok = (extra: Partial<Expect> = {}): Expect => ({ status: 201, read: rows.length, rejected: 0, stored: all, dateRange: range(rows), ...extra })
  const files: CorpusFile[] = []
  const text = toCsv(rows)
  files.push({ name: 'uci.csv', body: Buffer.from(text), headers: csvType, expect: ok({ dateFormat: 'YYYY-MM-DD HH:mm:ss', decimal: '.' }) })
  files.push({ name: 'uci.csv.gz', body: gzipSync(text), headers: { 'content-type': 'application/gzip' }, expect: ok() })
  files.push({ name: 'uci-gzip-encoding.csv', body: gzipSync(text), headers: { 'content-type': 'text/csv', 'content-encoding': 'gzip' }, expect: ok() })
  files.push({ name: 'kaggle-windows-1252.csv', body: Buffer.from(toCsv(rows, { date: usDate, eol: '\r\n' }), 'latin1'), headers: csvType, expect: ok({ dateFormat: 'MM/DD/YYYY HH:mm' }) })
  files.push({ name: 'bom-crlf.csv', body: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(toCsv(rows, { eol: '\r\n' }))]), headers: csvType, expect: ok() })
  files.push({ name: 'tab.tsv', body: Buffer.from(toCsv(rows, { sep: '\t' })), headers: csvType, expect: ok() })
  files.push({ name: 'renamed-reordered-extra.csv', body: Buffer.from(toCsv(rows, { header: HEADER_II, order: [7, 6, -1, 5, 4, 3, 2, 1, 0] })), headers: csvType, expect: ok() })
  files.push({ name: 'float-customer-ids.csv', body: Buffer.from(toCsv(rows, { customer: (r) => (r.customerId === '' ? '' : `${r.customerId}.0`) })), headers: csvType, expect: ok() })
  // Quoted newlines inside well-formed records: every 500th description spans two lines.
  const multi = (r: Row, i: number) => (i % 500 === 7 ? `${r.description}\nSECOND LINE` : r.description)
  files.push({
    name: 'quoted-newlines.csv', body: Buffer.from(toCsv(rows, { description: multi })), headers: csvType,
    expect: ok({ stored: rows.map((r, i) => rowCanonical({ ...r, description: multi(r, i) })) }),
  })
  // UK Excel: day first. The sample decides it on 13/12/2010.
  files.push({ name: 'uk-day-first.csv', body: Buffer.from(toCsv(rows, { date: ukDate })), headers: csvType, expect: ok({ dateFormat: 'DD/MM/YYYY HH:mm' }) })
  const early = rows.filter((r) => r.d <= 12)
  const earlyOk: Expect = { status: 201, read: early.length, rejected: 0, stored: early.map(rowCanonical), dateRange: range(early), dateFormat: 'DD/MM/YYYY HH:mm' }
  const undecided = Buffer.from(toCsv(early, { date: ukDate }))
  files.push({
    name: 'uk-days-1-12.csv', body: undecided, headers: csvType,
    expect: { status: 422, title: 'Date format undecided', detail: /day first or month first.*\?dateFormat=DD\/MM\/YYYY HH:mm/, errorPaths: ['dateFormat', 'dateFormat'] },
  })
  files.push({ name: 'uk-days-1-12.csv with dateFormat', body: undecided, headers: csvType, query: 'dateFormat=DD%2FMM%2FYYYY%20HH%3Amm', expect: earlyOk })
  // Continental: semicolons, decimal commas, dotted dates.
  const comma = (r: Row) => r.price.replace('.', ',')
  files.push({ name: 'semicolon-decimal-comma-iso.csv', body: Buffer.from(toCsv(rows, { sep: ';', price: comma })), headers: csvType, expect: ok({ decimal: ',' }) })
  files.push({ name: 'dotted-semicolon-comma.csv', body: Buffer.from(toCsv(rows, { sep: ';', price: comma, date: dottedDate })), headers: csvType, expect: ok({ decimal: ',', dateFormat: 'DD.MM.YYYY HH:mm' }) })
  files.push({ name: 'semicolon-comma with ?decimal=,', body: Buffer.from(toCsv(rows, { sep: ';', price: comma })), headers: csvType, query: 'decimal=%2C', expect: ok({ decimal: ',' }) })
  // Mixed decimal marks: the second half of the file with commas.
  const half = rows.length >> 1
  files.push({
    name: 'mixed-decimal-marks.csv', body: Buffer.from(toCsv(rows, { sep: ';', price: (r) => (rows.indexOf(r) >= half ? comma(r) : r.price) })), headers: csvType,
    expect: { status: 422, title: 'Mixed decimal marks', detail: /mixes decimal marks/, errorPaths: ['decimal'] },
  })
  // Contradictory slash dates: the first half month first, the second day first.
  files.push({
    name: 'contradictory-dates.csv', body: Buffer.from(toCsv(rows, { date: (r) => (rows.indexOf(r) >= half ? ukDate(r) : usDate(r)) })), headers: csvType,
    expect: { status: 422, title: 'Date format undecided', detail: /contradict each other/, errorPaths: ['dateFormat', 'dateFormat'] },
  })
  // Stray quotes: 20 records, spread over the file, get an opening quote that never closes.
  const broken = spreadPlainRows(rows, 20)
  files.push({
    name: 'stray-quotes.csv', body: Buffer.from(breakRecords(text, broken)), headers: csvType,
    expect: { status: 201, read: rows.length, rejected: broken.size, stored: rows.filter((_, i) => !broken.has(i)).map(rowCanonical), rejectedLines: [...broken].map((i) => i + 2) },
  })
  // 2 % of the rows with a quantity that is not a number: refused, unless allowed.
  const bad = new Set(rows.map((_, i) => i).filter((i) => i % 50 === 3))
  const badText = toCsv(rows.map((r, i) => (bad.has(i) ? { ...r, quantity: 'six' } : r)))
  files.push({
    name: 'two-percent-bad.csv', body: Buffer.from(badText), headers: csvType,
    expect: { status: 422, title: 'Too many rejected rows', detail: new RegExp(`^${bad.size} of ${rows.length} rows`), errorPaths: ['quantity "…" is not an integer'] },
  })
  files.push({
    name: 'two-percent-bad.csv with maxRejectedShare', body: Buffer.from(badText), headers: csvType, query: 'maxRejectedShare=0.05',
    expect: { status: 201, read: rows.length, rejected: bad.size, stored: rows.filter((_, i) => !bad.has(i)).map(rowCanonical) },
  })
  return files
}

/**
 * `csvText` with the records at the given 0-based data indexes broken: an opening quote at the
 * start of their description, never closed. The records must be one line each, without quotes.
 */
export function breakRecords(csvText: string, broken: Set<number>): string {
  return csvText.split('\n').map((l, i) => {
    if (!broken.has(i - 1)) return l
    const parts = l.split(',')
    parts[2] = `"${parts[2]!}`
    return parts.join(',')
  }).join('\n')
}

/** `count` data indexes spread over the file whose lines have no quote. */
export function spreadPlainRows(rows: Row[], count: number): Set<number> {
  const out = new Set<number>()
  for (let k = 0; k < count; k++) {
    let i = 50 + k * Math.floor((rows.length - 100) / count)
    while (/["\n]/.test(`${rows[i]!.description}`) || /,/.test(rows[i]!.description) || rows[i]!.description === '') i++
    out.add(i)
  }
  return out
}

/** A workbook of `sheets` (name → rows), dates as Excel dates; a notes sheet is added last when asked. */
export async function workbook(sheets: Record<string, Row[]>, notes = false): Promise<Buffer> {
  const file = path.join(os.tmpdir(), `corpus-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}.xlsx`)
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: file, useSharedStrings: true })
  for (const [name, rows] of Object.entries(sheets)) {
    const ws = wb.addWorksheet(name)
    ws.addRow(HEADER_II).commit()
    for (const r of rows) {
      const customer = r.customerId === '' ? null : Number(r.customerId)
      ws.addRow([r.invoiceNo, /^\d+$/.test(r.stockCode) ? Number(r.stockCode) : r.stockCode, r.description, Number(r.quantity), new Date(Date.UTC(r.y, r.mo - 1, r.d, r.h, r.mi, r.s)), Number(r.price), customer, r.country]).commit()
    }
    ws.commit()
  }
  if (notes) {
    const ws = wb.addWorksheet('Notes')
    ws.addRow(['Exported by the shop system']).commit()
    ws.commit()
  }
  await wb.commit()
  try {
    return await readFile(file)
  } finally {
    await rm(file, { force: true })
  }
}

/** The two-sheet workbook shapes (rows before `split` on sheet 1). */
export async function xlsxCorpus(rows: Row[], split = '2011-06-01'): Promise<CorpusFile[]> {
  const first = rows.filter((r) => isoDate(r) < split)
  const second = rows.filter((r) => isoDate(r) >= split)
  const book = await workbook({ 'Year 2010-2011 H1': first, 'Year 2011 H2': second }, true)
  const type = { 'content-type': XLSX }
  return [
    {
      name: 'two-sheets.xlsx', body: book, headers: type,
      expect: {
        status: 201, read: rows.length, rejected: 0, stored: rows.map(rowCanonical), dateRange: range(rows), dateFormat: 'Excel serial',
        sheets: [{ name: 'Year 2010-2011 H1', read: first.length }, { name: 'Year 2011 H2', read: second.length }], skippedSheets: ['Notes'],
      },
    },
    {
      name: 'two-sheets.xlsx ?sheet=2', body: book, headers: type, query: 'sheet=2',
      expect: { status: 201, read: second.length, rejected: 0, stored: second.map(rowCanonical), dateRange: range(second), sheets: [{ name: 'Year 2011 H2', read: second.length }] },
    },
    {
      name: 'two-sheets.xlsx ?sheet=nope', body: book, headers: type, query: 'sheet=nope',
      expect: { status: 422, title: 'No such sheet', detail: /no sheet "nope"/, errorPaths: ['sheet'] },
    },
  ]
}

/** The UCI file's rows split at 2011-06-01, with the first `overlapDays` after it on both sheets. */
export function splitSheets(rows: Row[], overlapDays = 0, split = '2011-06-01'): Record<string, Row[]> {
  const end = new Date(Date.parse(`${split}T00:00:00Z`) + overlapDays * 86_400_000).toISOString().slice(0, 10)
  return {
    'Year 2010-2011 H1': rows.filter((r) => isoDate(r) < (overlapDays > 0 ? end : split)),
    'Year 2011 H2': rows.filter((r) => isoDate(r) >= split),
  }
}

/** A workbook made once per machine (the full file's take a minute to write), in the temp folder. */
export async function cachedWorkbook(name: string, make: () => Promise<Buffer>): Promise<string> {
  const dir = path.join(os.tmpdir(), 'retail-segments-exports')
  const file = path.join(dir, name)
  const { existsSync } = await import('node:fs')
  if (existsSync(file)) return file
  const { mkdir, writeFile, rename } = await import('node:fs/promises')
  await mkdir(dir, { recursive: true })
  const tmp = `${file}.${process.pid}`
  await writeFile(tmp, await make())
  await rename(tmp, file)
  return file
}

export const ukDayFirst = ukDate
