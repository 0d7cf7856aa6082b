// Test-only loader for the UCI Online Retail CSV (the real upload reader lives in src/ingest).
// Rows come back sorted by customer with a stable sort, i.e. in the database order
// (customer, then file line); rows without a customer id go last.

import { readFileSync } from 'node:fs'
import { gunzipSync } from 'node:zlib'
import Papa from 'papaparse'
import type { Line, Transaction } from '../../src/pipeline/types.ts'

/** "2010-12-01 08:26:00" -> epoch ms of that wall-clock time read as UTC. */
function parseDate(s: string): number {
  return Date.UTC(+s.slice(0, 4), +s.slice(5, 7) - 1, +s.slice(8, 10), +s.slice(11, 13), +s.slice(14, 16), +s.slice(17, 19))
}

interface Parsed {
  /** Data records (header removed). */
  records: string[][]
  toLine(record: string[], line: number): Line
  customerOf(record: string[]): string | null
}

function parse(text: string): Parsed {
  const { data } = Papa.parse<string[]>(text, { header: false, skipEmptyLines: true })
  const header = data[0]!.map((h) => h.toLowerCase().replace(/\s+/g, ''))
  const col = (name: string): number => {
    const i = header.indexOf(name)
    if (i < 0) throw new Error(`missing column ${name}`)
    return i
  }
  const [inv, code, desc, qty, date, price, cust, country] = [
    'invoiceno', 'stockcode', 'description', 'quantity', 'invoicedate', 'unitprice', 'customerid', 'country',
  ].map(col) as [number, number, number, number, number, number, number, number]
  return {
    records: data.slice(1),
    customerOf: (r) => (r[cust] === '' ? null : r[cust]!),
    toLine: (r, line) => ({
      invoiceNo: r[inv]!,
      stockCode: r[code]!,
      description: r[desc] === '' ? null : r[desc]!,
      quantity: Number(r[qty]),
      invoiceDate: parseDate(r[date]!),
      unitPrice: Number(r[price]),
      customerId: r[cust] === '' ? null : r[cust]!,
      country: r[country] === '' ? null : r[country]!,
      line,
    }),
  }
}

/** Rows in file order, each with its 1-based file line (header = line 1; no embedded newlines). */
export function parseRetailCsv(text: string): Line[] {
  const { records, toLine } = parse(text)
  return records.map((r, i) => toLine(r, i + 2))
}

const byCustomer = (x: string | null, y: string | null): number => {
  if (x === y) return 0
  if (x === null) return 1
  if (y === null) return -1
  return x < y ? -1 : 1
}

/** Stable sort by customer id (database order); null ids last. Returns a new array. */
export function sortByCustomer<T extends Transaction>(rows: readonly T[]): T[] {
  return rows.slice().sort((a, b) => byCustomer(a.customerId, b.customerId))
}

/**
 * Rows in database order (customer, then file line), allocated in that order as a database
 * reader would allocate them: the file's lines are reordered before the final parse, so that
 * rows and their strings sit in memory in processing order.
 */
export function loadRetailCsvGz(path: string): Line[] {
  const text = gunzipSync(readFileSync(path)).toString('utf8')
  const { records, customerOf } = parse(text)
  const ids = records.map(customerOf)
  const order = Array.from(records.keys()).sort((a, b) => byCustomer(ids[a]!, ids[b]!) || a - b)
  const lines = text.split(/\r?\n/)
  if (lines.at(-1) === '') lines.pop()
  if (lines.length !== records.length + 1) {
    // Quoted newlines: fall back to reordering the parsed records.
    const { toLine } = parse(text)
    return order.map((i) => toLine(records[i]!, i + 2))
  }
  const sorted = parse([lines[0]!, ...order.map((i) => lines[i + 1]!)].join('\n'))
  return sorted.records.map((r, j) => sorted.toLine(r, order[j]! + 2))
}

/** A reference feature table: CustomerID -> column -> value. */
export function loadReference(path: string): { columns: string[]; rows: Map<string, Record<string, number>> } {
  const { data } = Papa.parse<Record<string, string>>(readFileSync(path, 'utf8'), { header: true, skipEmptyLines: true })
  const rows = new Map<string, Record<string, number>>()
  for (const r of data) {
    const values: Record<string, number> = {}
    for (const [k, v] of Object.entries(r)) if (k !== 'CustomerID') values[k] = Number(v)
    rows.set(r.CustomerID!, values)
  }
  const first = data[0] ?? {}
  return { columns: Object.keys(first).filter((k) => k !== 'CustomerID'), rows }
}
