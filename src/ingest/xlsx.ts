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
// exceljs races the failure, so an error never waits for exceljs (xlsx-feed.ts). Each sheet's
// rows are read by xlsx-sheet.ts. Worksheets that precede the shared strings in the zip are
// spooled by exceljs to temporary files, which its `tmp` dependency removes (at the latest at
// process exit).
import ExcelJS from 'exceljs'
import { HttpProblem } from '../errors.ts'
import { noDataRows, unreadable } from './problems.ts'
import { BatchBuilder, type RowBatch } from './record.ts'
import { SharedStringsScanner } from './shared-strings.ts'
import { ExcelFeed } from './xlsx-feed.ts'
import { SheetRows, type SheetTally } from './xlsx-sheet.ts'
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

/** exceljs's reader over the feed, without styles, hyperlinks or other entries. */
function openWorkbook(feed: ExcelFeed): WorkbookReader {
  const reader = new WorkbookReader(feed.stream, {
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
  return reader
}

export async function* xlsxBatches(zipBytes: AsyncIterable<Buffer>, guard: ZipGuard, opts: XlsxOptions): AsyncGenerator<RowBatch> {
  const feed = new ExcelFeed(zipBytes)
  const reader = openWorkbook(feed)
  const out = new BatchBuilder(opts.batchSize)
  const reading = opts.reading ?? new Reading()
  const infos = opts.sheets ?? []
  const wanted = reading.options.sheet
  const tally: SheetTally = { headers: 0, firstMissing: null }
  let sheets = 0
  let current = 0
  let currentName = ''
  const batch = (): RowBatch => ({ ...out.take(), sheet: current, sheetName: currentName })
  try {
    const worksheets = reader[Symbol.asyncIterator]()
    for (;;) {
      const next = await feed.race(worksheets.next())
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
        for (;;) if ((await feed.race(xml.next())).done) break
        continue
      }
      if (!out.empty) yield batch()
      current = sheets
      currentName = name
      reading.sheet = sheets
      reading.sheetName = name
      const rows = new SheetRows(reader.sharedStrings ?? [], info, reader.date1904, out, reading, opts, tally)
      for (;;) {
        const chunk = await feed.race(xml.next())
        if (chunk.done) break
        if (rows.skip) continue
        rows.push(chunk.value)
        if (out.full) yield batch()
      }
      rows.end()
    }
    await feed.finished()
  } finally {
    feed.close()
  }
  checkWorkbookRead(sheets, guard, infos, wanted, tally, out)
  reading.dates.finish()
  if (!out.empty) yield batch()
}

/** After the last sheet: the refusals of a workbook that gave no data rows, or not the sheet asked for. */
function checkWorkbookRead(sheets: number, guard: ZipGuard, infos: readonly SheetInfo[], wanted: string | undefined, tally: SheetTally, out: BatchBuilder): void {
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
  if (tally.headers === 0 && tally.firstMissing) throw tally.firstMissing
  if (tally.headers === 0) throw noDataRows('no data rows: the worksheets are empty')
  if (out.accepted + out.rejected === 0) throw noDataRows('no data rows: the worksheet has a header but no data rows')
}
