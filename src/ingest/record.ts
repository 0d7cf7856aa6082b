// One row of cells → one transaction line, or the reason it is rejected. Shared by the CSV reader
// (every cell a string) and the xlsx reader (numbers, booleans, strings, errors), so both formats
// give identical lines for identical content.
import type { Line } from '../pipeline/types.ts'
import type { Columns } from './headers.ts'
import type { Reading } from './reading.ts'
import { cleanCode, cleanText, dateSeen, DateStyle, excelSerialToMs, numberToCode, parseDateText, parseDecimal, parseInteger, readDateText } from './values.ts'

/** An Excel error cell such as #N/A. */
export interface CellError {
  error: string
}

export type Cell = string | number | boolean | CellError | null | undefined

export interface Rejection {
  line: number
  reason: string
}

export interface RowBatch {
  rows: Line[]
  rejections: Rejection[]
  /** The worksheet of every row and rejection of the batch: 1-based, 0 for CSV. */
  sheet?: number
  /** Its name (xlsx). */
  sheetName?: string
}

const show = (cell: Cell) => {
  const text = typeof cell === 'object' && cell !== null ? cell.error : String(cell)
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text)
}

/** The cell as text (numbers as a person would type them), or undefined for an error cell. */
function cellText(cell: Cell): string | undefined {
  if (typeof cell === 'string') return cell
  if (typeof cell === 'number') return numberToCode(cell)
  if (cell === null || cell === undefined) return ''
  if (typeof cell === 'boolean') return cell ? 'TRUE' : 'FALSE'
  return undefined
}

function cellInteger(cell: Cell): number {
  if (typeof cell === 'string') return parseInteger(cell)
  return typeof cell === 'number' && Number.isSafeInteger(cell) ? cell : NaN
}

function cellDecimal(cell: Cell): number {
  if (typeof cell === 'string') return parseDecimal(cell)
  return typeof cell === 'number' && Number.isFinite(cell) ? cell : NaN
}

const COMMA_DECIMAL = /^\s*[+-]?\d*,\d+\s*$/

/** A price as text under the file's decimal decision (reading.ts). */
function textDecimal(s: string, reading: Reading, line: number): number {
  const comma = s.indexOf(',')
  const dot = s.indexOf('.')
  const decision = reading.decimal
  if (comma === -1) {
    const n = parseDecimal(s)
    if (dot !== -1 && !Number.isNaN(n)) {
      if (decision.mark !== '.') decision.see('.', s, reading.where(line))
      if (decision.mark === ',') return NaN // forced comma: a dot is not read
    }
    return n
  }
  if (dot !== -1 || !COMMA_DECIMAL.test(s)) return NaN
  if (decision.mark !== ',') decision.see(',', s, reading.where(line))
  return decision.mark === ',' ? parseDecimal(s.replace(',', '.')) : NaN
}

function cellDate(cell: Cell, date1904: boolean): number {
  if (typeof cell === 'string') return parseDateText(cell)
  return typeof cell === 'number' ? excelSerialToMs(cell, date1904) : NaN
}

const STYLE_NAMES = ['', 'YYYY-MM-DD HH:mm:ss', 'slash', 'DD.MM.YYYY HH:mm', 'Excel serial'] as const

/** A date as text under the file's date decision (reading.ts); parks ambiguous slash dates. */
function textDate(s: string, reading: Reading, line: number): number {
  const dates = reading.dates
  const ms = readDateText(s, dates.order === 'dmy', true)
  const style = dateSeen.style
  if (style !== DateStyle.Slash) {
    if (!Number.isNaN(ms)) dates.style(STYLE_NAMES[style] as string)
    return ms
  }
  const { a, b } = dateSeen
  if (dates.forced || (dates.order !== null && !(dates.order === 'mdy' ? a > 12 && b <= 12 : b > 12 && a <= 12))) {
    if (!Number.isNaN(ms)) dates.style('slash')
    return ms
  }
  if (a > 12 || b > 12) {
    // A deciding value (or, once decided, a contrary one: prove() refuses the file).
    const order = a > 12 ? 'dmy' : 'mdy'
    const value = readDateText(s, order === 'dmy', true)
    if (Number.isNaN(value)) return NaN
    dates.prove(order, s, reading.where(line))
    dates.style('slash')
    return value
  }
  // Ambiguous and undecided: month first for now, remembered (the row is accepted: the date is
  // the last thing toLine checks).
  if (Number.isNaN(ms)) return NaN
  const dmy = readDateText(s, true, true)
  dates.park(reading.sheet, line, ms, dmy)
  reading.parkedNow = true
  dates.style('slash')
  return ms
}

const errorCell = (column: string, cell: Cell) => `${column}: the cell is an error (${show(cell)})`

const isBlank = (cell: Cell) => cell === undefined || cell === null || (typeof cell === 'string' && cell.trim() === '')

/**
 * The line for `cells` (indexed by `cols`), or a rejection reason. `date1904` selects the epoch
 * of Excel serial dates in workbooks saved with the 1904 date system.
 */
export function toLine(cells: readonly Cell[], cols: Columns, line: number, date1904 = false, reading?: Reading): Line | string {
  const invoiceNo = cellText(cells[cols.invoiceNo])
  if (invoiceNo === undefined) return errorCell('invoiceNo', cells[cols.invoiceNo])
  const stockCode = cellText(cells[cols.stockCode])
  if (stockCode === undefined) return errorCell('stockCode', cells[cols.stockCode])
  const description = cellText(cells[cols.description])
  if (description === undefined) return errorCell('description', cells[cols.description])
  const customerId = cellText(cells[cols.customerId])
  if (customerId === undefined) return errorCell('customerId', cells[cols.customerId])
  const country = cellText(cells[cols.country])
  if (country === undefined) return errorCell('country', cells[cols.country])
  const invoice = cleanCode(invoiceNo)
  if (invoice === null) return 'invoiceNo is empty'
  const stock = cleanCode(stockCode)
  if (stock === null) return 'stockCode is empty'

  const q = cells[cols.quantity]
  const quantity = cellInteger(q)
  if (Number.isNaN(quantity)) return isBlank(q) ? 'quantity is empty' : `quantity ${show(q)} is not an integer`
  const p = cells[cols.unitPrice]
  const unitPrice = reading && typeof p === 'string' ? textDecimal(p, reading, line) : cellDecimal(p)
  if (Number.isNaN(unitPrice)) {
    if (isBlank(p)) return 'unitPrice is empty'
    if (reading?.decimal.mark === ',' && typeof p === 'string' && COMMA_DECIMAL.test(p.replace('.', ','))) {
      return `unitPrice ${show(p)} has a decimal dot; the file's decimal mark is a comma`
    }
    return `unitPrice ${show(p)} is not a plain decimal number${typeof p === 'string' && p.includes(',') ? ' (write 1234.5: no thousands separators, a dot for decimals)' : ''}`
  }
  const d = cells[cols.invoiceDate]
  const invoiceDate = reading && typeof d === 'string' ? textDate(d, reading, line) : cellDate(d, date1904)
  if (Number.isNaN(invoiceDate)) {
    return isBlank(d) ? 'invoiceDate is empty' : `invoiceDate ${show(d)} is not a valid date (expected e.g. 2010-12-01 08:26:00 or 12/1/2010 8:26)`
  }
  if (reading) {
    if (typeof d === 'number') reading.dates.style('Excel serial')
    reading.seeDate(invoiceDate)
  }
  return {
    line,
    invoiceNo: invoice,
    stockCode: stock,
    description: cleanText(description),
    quantity,
    invoiceDate,
    unitPrice,
    customerId: cleanCode(customerId),
    country: cleanText(country),
  }
}

/** Collects accepted and rejected rows into batches of about `size` rows. */
export class BatchBuilder {
  rows: Line[] = []
  rejections: Rejection[] = []
  accepted = 0
  rejected = 0

  readonly size: number
  constructor(size: number) {
    this.size = size
  }

  add(result: Line | string, line: number): void {
    if (typeof result === 'string') {
      this.rejections.push({ line, reason: result })
      this.rejected++
    } else {
      this.rows.push(result)
      this.accepted++
    }
  }

  get full(): boolean {
    return this.rows.length + this.rejections.length >= this.size
  }

  get empty(): boolean {
    return this.rows.length + this.rejections.length === 0
  }

  take(): RowBatch {
    const batch = { rows: this.rows, rejections: this.rejections }
    this.rows = []
    this.rejections = []
    return batch
  }
}
