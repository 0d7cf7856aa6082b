// xlsx bytes → batches of lines. exceljs's streaming WorkbookReader walks the package (zip,
// relationships, workbook properties, shared strings); each worksheet's XML is then read by
// SheetScanner (see sheetxml.ts for why not exceljs's own row parser). The bytes reach exceljs
// through the ZipGuard, which enforces the inflation limits.
//
// Every worksheet whose first non-empty row maps to the eight columns is read, in workbook order,
// as one dataset: a second sheet is usually more data (the UCI "Online Retail II" workbook has one
// sheet per year). Other sheets (notes, pivots) are skipped and listed in `opts.sheets` with the
// reason, so the answer says so; with no data sheet at all, the first sheet's missing columns are
// the 422. `reading.options.sheet` (name or 1-based index) reads one sheet only. Line numbers are
// sheet row numbers; each batch names its sheet (rows are keyed by sheet and row when stored);
// the rejections of a second or later sheet name their sheet.
//
// exceljs cannot be cancelled: on a failure the feed is ended and abandoned, and every wait on
// exceljs races the failure, so an error never waits for exceljs. Worksheets that precede the
// shared strings in the zip are spooled by exceljs to temporary files, which its `tmp`
// dependency removes (at the latest at process exit).
import { once } from 'node:events'
import { PassThrough } from 'node:stream'
import ExcelJS from 'exceljs'
import { HttpProblem } from '../errors.ts'
import { resolveColumns, type Columns } from './headers.ts'
import { MAX_RATIO, RATIO_AFTER } from './meter.ts'
import { bomb, bytesText, noDataRows, unreadable } from './problems.ts'
import { BatchBuilder, toLine, type Cell, type RowBatch } from './record.ts'
import { SharedStringsScanner, SheetScanner } from './sheetxml.ts'
import type { ZipGuard } from './zipguard.ts'
import { Reading } from './reading.ts'

export interface SheetInfo {
  /** 1-based position of the worksheet in the workbook. */
  index: number
  name: string
  /** Why the sheet was not read (no header that maps, or not the sheet asked for). */
  skipped?: string
}

export interface XlsxOptions {
  batchSize: number
  /** Per-file reading decisions and options (sheet, dates, decimals). */
  reading?: Reading
  /** Filled in as sheets are read: each sheet read, and each skipped with why. */
  sheets?: SheetInfo[]
  /** Cap on the cell text produced (shared strings expanded), like the inflated-size cap. */
  maxExpanded: number
  /** Raw upload bytes read so far, for the expansion ratio. */
  rawBytes: () => number
}

/** The parts of exceljs's reader objects used here (not in its typings). */
interface WorksheetInternals {
  name?: string
  /** The worksheet XML, as exceljs hands it to its own WorksheetReader. */
  iterator: AsyncIterable<Buffer>
}

/**
 * exceljs's WorkbookReader with its shared-strings parser replaced: exceljs decodes each inflated
 * chunk separately, which breaks any character split between two chunks (a "€" became "��").
 * exceljs calls this method for xl/sharedStrings.xml and reads `sharedStrings` afterwards.
 */
class WorkbookReader extends ExcelJS.stream.xlsx.WorkbookReader {
  declare sharedStrings?: string[]

  /** The workbook uses the 1904 date system (exceljs keeps workbookPr as `properties`). */
  get date1904(): boolean {
    return (this as unknown as { properties?: { model?: { date1904?: boolean } } }).properties?.model?.date1904 === true
  }

  // exceljs consumes this with `yield*`; it has nothing to emit.
  // eslint-disable-next-line require-yield
  async *_parseSharedStrings(entry: AsyncIterable<Buffer>): AsyncGenerator<never> {
    const scanner = new SharedStringsScanner()
    for await (const chunk of entry) scanner.push(chunk)
    this.sharedStrings = scanner.end()
  }
}

const headerText = (cell: Cell) => (typeof cell === 'string' ? cell : typeof cell === 'number' || typeof cell === 'boolean' ? String(cell) : '')

const isBlankRow = (cells: readonly Cell[]) => cells.every((c) => c === null || c === undefined || (typeof c === 'string' && c.trim() === ''))

export async function* xlsxBatches(zipBytes: AsyncIterable<Buffer>, guard: ZipGuard, opts: XlsxOptions): AsyncGenerator<RowBatch> {
  const feed = new PassThrough()
  const stop = new AbortController()
  let failure: unknown = null
  // Waits on exceljs that the byte failure must interrupt. Not Promise.race against one
  // long-lived promise: each race would leave a reaction on it holding its result (a chunk).
  const waiting = new Set<(err: unknown) => void>()
  const fail = (err: unknown) => {
    failure ??= err
    for (const reject of waiting) reject(failure)
    waiting.clear()
  }
  const pump = (async () => {
    try {
      for await (const chunk of zipBytes) {
        if (!feed.write(chunk)) await once(feed, 'drain', { signal: stop.signal })
      }
    } catch (err) {
      fail(err)
    } finally {
      feed.end()
    }
  })()
  /** Awaits exceljs, unless the bytes failed first; an exceljs error becomes a 422. */
  const race = async <T>(p: Promise<T>): Promise<T> => {
    try {
      if (failure) throw failure
      return await new Promise<T>((resolve, reject) => {
        waiting.add(reject)
        p.then(resolve, reject).finally(() => waiting.delete(reject))
      })
    } catch (err) {
      if (failure) throw failure
      if (err instanceof HttpProblem) throw err
      throw unreadable(`corrupt xlsx: ${err instanceof Error ? err.message : String(err)}`)
    }
  }

  const reader = new WorkbookReader(feed, {
    worksheets: 'emit',
    sharedStrings: 'cache',
    styles: 'ignore',
    hyperlinks: 'ignore',
    entries: 'ignore',
  })
  // exceljs reads a worksheet's name from xl/workbook.xml; when a file's zip holds a worksheet
  // before workbook.xml (the order is the writer's; exceljs' own writer varies it under load),
  // it dereferences the not-yet-parsed model and throws. Start from an empty model: such a
  // sheet is read under its number instead of being refused as corrupt.
  const internals = reader as unknown as { model?: { sheets?: unknown[] } }
  internals.model ??= { sheets: [] }
  const out = new BatchBuilder(opts.batchSize)
  const reading = opts.reading ?? new Reading()
  const infos = opts.sheets ?? []
  const wanted = reading.options.sheet
  let sheets = 0
  let headers = 0
  let firstMissing: HttpProblem | null = null
  let current = 0
  let currentName = ''
  const batch = (): RowBatch => ({ ...out.take(), sheet: current, sheetName: currentName })
  try {
    const worksheets = reader[Symbol.asyncIterator]()
    for (;;) {
      const next = await race(worksheets.next())
      if (next.done) break
      const sheet = next.value as unknown as WorksheetInternals
      sheets++
      const name = sheet.name ?? `sheet ${sheets}`
      const info: SheetInfo = { index: sheets, name }
      infos.push(info)
      const xml = sheet.iterator[Symbol.asyncIterator]()
      if (wanted !== undefined && wanted !== name && wanted !== String(sheets)) {
        info.skipped = `not the sheet asked for (?sheet=${wanted})`
        // exceljs needs each worksheet's entry read to move on.
        for (;;) if ((await race(xml.next())).done) break
        continue
      }
      if (!out.empty) yield batch()
      current = sheets
      currentName = name
      reading.sheet = sheets
      reading.sheetName = name
      const label = sheets > 1 ? `sheet "${name}": ` : ''
      const scanner = new SheetScanner(reader.sharedStrings ?? [])
      const date1904 = reader.date1904
      let cols: Columns | null = null
      let skip = false
      const rows = scanner.rows
      const take = () => {
        for (const row of rows) {
          if (skip) break
          if (isBlankRow(row.cells)) continue
          if (cols === null) {
            try {
              cols = resolveColumns(Array.from(row.cells, headerText))
            } catch (err) {
              if (!(err instanceof HttpProblem)) throw err
              // Not a data sheet (notes, a pivot, a chart's data): skipped, and said so.
              const problem = label ? new HttpProblem(err.status, err.title, `${label}${err.detail}`, err.errors) : err
              firstMissing ??= problem
              info.skipped = problem.detail.replace(/^sheet "[^"]*": /, '')
              skip = true
              break
            }
            headers++
            continue
          }
          const line = toLine(row.cells, cols, row.r, date1904, reading)
          out.add(typeof line === 'string' ? `${label}${line}` : line, row.r)
        }
        rows.length = 0
        if (scanner.expanded > opts.maxExpanded) {
          throw bomb('the workbook', `expands to more than ${bytesText(opts.maxExpanded)} of cell text`)
        }
        if (scanner.expanded > RATIO_AFTER && scanner.expanded > opts.rawBytes() * MAX_RATIO) {
          throw bomb('the workbook', `expands to more than ${MAX_RATIO} times its size in cell text (shared strings repeated)`)
        }
      }
      for (;;) {
        const chunk = await race(xml.next())
        if (chunk.done) break
        if (skip) continue
        scanner.push(chunk.value)
        take()
        if (out.full) yield batch()
      }
      if (!skip) {
        scanner.end()
        take()
      }
      if (cols === null && !skip) info.skipped = 'empty'
    }
    await pump
    if (failure) throw failure
  } finally {
    stop.abort()
    feed.destroy()
  }

  if (sheets === 0) {
    if (!guard.names.includes('xl/workbook.xml')) {
      const names = guard.names.slice(0, 5).join(', ') + (guard.names.length > 5 ? ', …' : '')
      throw unreadable(`a zip that is not a workbook: it has no xl/workbook.xml (entries: ${names || 'none'})`)
    }
    throw noDataRows('no data rows: the workbook has no worksheets')
  }
  if (wanted !== undefined && !infos.some((i) => !i.skipped || !i.skipped.startsWith('not the sheet'))) {
    throw new HttpProblem(422, 'No such sheet', `the workbook has no sheet ${JSON.stringify(wanted)}; its sheets: ${infos.map((i) => `${i.index} "${i.name}"`).join(', ')}`,
      [{ path: 'sheet', message: `one of ${infos.map((i) => JSON.stringify(i.name)).join(', ')} or 1..${infos.length}` }])
  }
  if (headers === 0 && firstMissing) throw firstMissing
  if (headers === 0) throw noDataRows('no data rows: the worksheets are empty')
  if (out.accepted + out.rejected === 0) throw noDataRows('no data rows: the worksheet has a header but no data rows')
  reading.dates.finish()
  if (!out.empty) yield batch()
}
