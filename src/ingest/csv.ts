// CSV bytes → batches of lines, streaming: papaparse's own Parser is fed one run of complete lines
// at a time, the way Papa.parse's ChunkStreamer does it, but driven here so that (1) every row's
// file line is known, (2) an unfinished record (a quoted field spanning lines) is bounded, and
// (3) a chunk is parsed synchronously into an array, with no per-row callback or stream object.
//
// Line numbers: the header is line 1; a record's line is the line it starts on. Each parsed row
// consumed one line break plus any inside its quoted fields, and blank lines come back as rows
// of one empty field (skipEmptyLines is off on purpose), so counting stays exact.
import Papa from 'papaparse'
import { resolveColumns, type Columns } from './headers.ts'
import { noDataRows, unreadable, MiB } from './problems.ts'
import { BatchBuilder, toLine, type RowBatch } from './record.ts'
import { LineDecoder } from './text.ts'

/** Longest line, and longest record, accepted (the real data's longest line is 140 bytes). */
export const MAX_RECORD = MiB

interface PapaError {
  row?: number
  message: string
}

interface PapaResult {
  data: string[][]
  errors: PapaError[]
  meta: { cursor: number }
}

/** The delimiter of the header line: the most frequent of , ; tab | (a comma when none). */
export function detectDelimiter(headerLine: string): string {
  let best = ','
  let bestCount = 0
  for (const d of [',', ';', '\t', '|']) {
    const count = headerLine.split(d).length - 1
    if (count > bestCount) {
      best = d
      bestCount = count
    }
  }
  return best
}

const isBlankRow = (row: readonly string[]) => row.every((f) => f.trim() === '')

class CsvRows {
  private parser: Papa.Parser | null = null
  private newline = '\n'
  /** Text of a record that is not finished yet. */
  private partial = ''
  /** The file line on which the next record starts. */
  private line = 1
  private cols: Columns | null = null
  private width = 0
  private sawContent = false

  readonly out: BatchBuilder
  constructor(out: BatchBuilder) {
    this.out = out
  }

  /**
   * Parses `text` (complete lines ending in `newline`) after what is left of the previous call.
   * '\n' also splits "\r\n" files: the '\r' ends up in the last field, which is trimmed, and
   * papaparse accepts it after a closing quote, so mixed line ends just work.
   */
  feed(text: string, newline: '\n' | '\r', last: boolean): void {
    const input = this.partial.length > 0 ? this.partial + text : text
    if (input.length === 0) return
    if (!this.parser && !this.start(input, newline, last)) return
    const parser = this.parser as Papa.Parser
    const result = parser.parse(input, 0, !last) as PapaResult
    const rows = result.data
    const consumed = last ? input.length : result.meta.cursor
    this.partial = consumed < input.length ? input.slice(consumed) : ''
    let errors: Map<number, string> | null = null
    for (const e of result.errors) {
      if (e.row === undefined) continue
      errors ??= new Map()
      if (!errors.has(e.row)) errors.set(e.row, e.message)
    }
    // Fast path: as many line breaks as rows means no row spans lines.
    const oneLineEach = !last && countOf(input, this.newline, consumed) === rows.length
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i] as string[]
      const line = this.line
      this.line += oneLineEach ? 1 : 1 + lineBreaksIn(row, this.newline)
      this.row(row, line, errors?.get(i))
    }
    if (this.partial.length > MAX_RECORD) {
      throw unreadable(`the record starting on line ${this.line} runs for more than 1 MiB: an unbalanced quote?`)
    }
  }

  /** Chooses the delimiter from the first non-blank line; false while there is none. */
  private start(input: string, newline: '\n' | '\r', last: boolean): boolean {
    this.newline = newline
    const lines = input.split(this.newline)
    const first = lines.findIndex((l, i) => l.trim() !== '' && (i < lines.length - 1 || last))
    if (first === -1) {
      // Only blank lines so far: count them and wait for content.
      if (!last) {
        const breaks = lines.length - 1
        this.line += breaks
        this.partial = lines[breaks] ?? ''
      }
      return false
    }
    this.parser = new Papa.Parser({ delimiter: detectDelimiter(lines[first] as string), newline: this.newline as '\n' | '\r' })
    return true
  }

  private row(row: string[], line: number, error: string | undefined): void {
    if ((row.length === 1 || (row[0] as string).trim() === '') && isBlankRow(row)) return
    this.sawContent = true
    if (this.cols === null) {
      this.cols = resolveColumns(row)
      // Trailing unnamed columns (a trailing comma on the header) are not required in the rows.
      this.width = row.length
      while (this.width > 1 && (row[this.width - 1] as string).trim() === '') this.width--
      return
    }
    if (error !== undefined) return this.out.add(`malformed CSV: ${error}`, line)
    // A row with more or fewer fields than the header is misaligned: its values cannot be
    // trusted to be in their columns. Extra fields are fine when empty (trailing commas).
    if (row.length !== this.width && !(row.length > this.width && isBlankRow(row.slice(this.width)))) {
      return this.out.add(`${row.length} fields where the header has ${this.width}`, line)
    }
    this.out.add(toLine(row, this.cols, line), line)
  }

  finish(): void {
    if (!this.sawContent) throw noDataRows('no data rows: the file has no header and no rows, only blank lines')
    if (this.out.accepted + this.out.rejected === 0) throw noDataRows('no data rows: the file has a header but no data rows')
  }
}

function countOf(text: string, needle: string, end: number): number {
  let n = 0
  for (let i = text.indexOf(needle); i !== -1 && i < end; i = text.indexOf(needle, i + 1)) n++
  return n
}

function lineBreaksIn(row: readonly string[], newline: string): number {
  let n = 0
  for (const field of row) if (field.includes(newline)) n += countOf(field, newline, field.length)
  return n
}

/** Batches of about `batchSize` lines from the bytes of a CSV file. */
export async function* csvBatches(bytes: AsyncIterable<Buffer>, batchSize: number): AsyncGenerator<RowBatch> {
  const decoder = new LineDecoder(MAX_RECORD)
  const out = new BatchBuilder(batchSize)
  const rows = new CsvRows(out)
  for await (const chunk of bytes) {
    rows.feed(decoder.push(chunk), decoder.lineBreak, false)
    if (out.full) yield out.take()
  }
  rows.feed(decoder.end(), decoder.lineBreak, true)
  rows.finish()
  if (!out.empty) yield out.take()
}
