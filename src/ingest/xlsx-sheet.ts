// One worksheet's XML into the upload's batches (xlsx.ts reads the workbook): its first non-blank
// row must map to the columns, or the sheet is skipped and said so; then its rows become lines,
// the rejections of a second or later sheet naming their sheet. The expansion of shared strings
// is checked as the rows come.
import { HttpProblem } from '../errors.ts'
import { resolveColumns, type Columns } from './headers.ts'
import { MAX_RATIO, RATIO_AFTER } from './meter.ts'
import { bomb, bytesText } from './problems.ts'
import type { Reading } from './reading.ts'
import { toLine, type BatchBuilder, type Cell } from './record.ts'
import { SheetScanner } from './sheetxml.ts'
import type { SheetInfo, XlsxOptions } from './xlsx.ts'

const headerText = (cell: Cell) => (typeof cell === 'string' ? cell : typeof cell === 'number' || typeof cell === 'boolean' ? String(cell) : '')

const isBlankRow = (cells: readonly Cell[]) => cells.every((c) => c === null || c === undefined || (typeof c === 'string' && c.trim() === ''))

/** What the workbook's sheets found between them: data headers, and the first sheet's refusal. */
export interface SheetTally {
  headers: number
  firstMissing: HttpProblem | null
}

export class SheetRows {
  /** The sheet is not a data sheet: the rest of its XML is only drained. */
  skip = false
  private cols: Columns | null = null
  private readonly scanner: SheetScanner
  private readonly label: string

  private readonly info: SheetInfo
  private readonly date1904: boolean
  private readonly out: BatchBuilder
  private readonly reading: Reading
  private readonly limits: Pick<XlsxOptions, 'maxExpanded' | 'rawBytes'>
  private readonly tally: SheetTally

  constructor(sharedStrings: readonly string[], info: SheetInfo, date1904: boolean, out: BatchBuilder, reading: Reading, limits: Pick<XlsxOptions, 'maxExpanded' | 'rawBytes'>, tally: SheetTally) {
    this.scanner = new SheetScanner(sharedStrings)
    this.label = info.index > 1 ? `sheet "${info.name}": ` : ''
    this.info = info
    this.date1904 = date1904
    this.out = out
    this.reading = reading
    this.limits = limits
    this.tally = tally
  }

  /** The next chunk of the sheet's XML. */
  push(chunk: Buffer): void {
    this.scanner.push(chunk)
    this.take()
  }

  /** The end of the sheet's XML. */
  end(): void {
    if (!this.skip) {
      this.scanner.end()
      this.take()
    }
    if (this.cols === null && !this.skip) this.info.skipped = 'empty'
  }

  /** The rows the scanner completed, into lines (or the header). */
  private take(): void {
    const rows = this.scanner.rows
    for (const row of rows) {
      if (this.skip) break
      if (isBlankRow(row.cells)) continue
      if (this.cols === null) {
        if (!this.header(row.cells)) break
        continue
      }
      const line = toLine(row.cells, this.cols, row.r, this.date1904, this.reading)
      this.out.add(typeof line === 'string' ? `${this.label}${line}` : line, row.r)
    }
    rows.length = 0
    const expanded = this.scanner.expanded
    if (expanded > this.limits.maxExpanded) {
      throw bomb('the workbook', `expands to more than ${bytesText(this.limits.maxExpanded)} of cell text`)
    }
    if (expanded > RATIO_AFTER && expanded > this.limits.rawBytes() * MAX_RATIO) {
      throw bomb('the workbook', `expands to more than ${MAX_RATIO} times its size in cell text (shared strings repeated)`)
    }
  }

  /** The first non-blank row as the header; false (and the sheet skipped) when it does not map. */
  private header(cells: readonly Cell[]): boolean {
    try {
      this.cols = resolveColumns(Array.from(cells, headerText))
    } catch (err) {
      if (!(err instanceof HttpProblem)) throw err
      // Not a data sheet (notes, a pivot, a chart's data): skipped, and said so.
      const problem = this.label ? new HttpProblem(err.status, err.title, `${this.label}${err.detail}`, err.errors) : err
      this.tally.firstMissing ??= problem
      this.info.skipped = problem.detail.replace(/^sheet "[^"]*": /, '')
      this.skip = true
      return false
    }
    this.tally.headers++
    return true
  }
}
