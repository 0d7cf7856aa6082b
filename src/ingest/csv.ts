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
import { plausibleRecord } from './plausible.ts'
import type { Reading } from './reading.ts'
import { BatchBuilder, toLine, type RowBatch } from './record.ts'
import { LineDecoder } from './text.ts'
import { closingQuote, countOf, lineBreaksIn, lineEnd, recordEnd } from './csv-quotes.ts'

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

/** Where a run of well-formed records ends; when `broken`, the record at `end` costs its first line and reading resumes at `resume`. */
interface Cut {
  end: number
  broken: boolean
  resume: number
}

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
  private delimiter = ','

  readonly out: BatchBuilder
  readonly reading: Reading | undefined
  constructor(out: BatchBuilder, reading?: Reading) {
    this.out = out
    this.reading = reading
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
    this.partial = ''
    let start = 0
    if (this.cols === null) {
      // The header first, so that records can be judged against its width.
      const end = input.indexOf(this.newline, input.search(/\S/))
      if (end === -1 && !last) {
        this.partial = input
        return
      }
      start = end === -1 ? input.length : end + 1
      this.parseRun(input.slice(0, start), last && start === input.length)
    }
    // Runs of records that end where records end, each broken record cut to its first line.
    for (let from = start; ;) {
      const cut = this.scan(input, from, last)
      if (cut.end > from || (last && !cut.broken)) this.parseRun(input.slice(from, cut.end), last && !cut.broken)
      if (!cut.broken) {
        this.partial = input.slice(cut.end)
        break
      }
      this.brokenLine(input.slice(cut.end, cut.resume))
      from = cut.resume
    }
    if (this.partial.length > MAX_RECORD) {
      throw unreadable(`the record starting on line ${this.line} runs for more than 1 MiB: an unbalanced quote?`)
    }
  }

  /**
   * Finds where the complete, well-formed records from `from` end. A quote opens a quoted field
   * only at the start of a field (as papaparse reads it); a quoted field that spans lines makes a
   * multi-line record, which is kept when it parses to the header's width without errors. When
   * it does not (or its quote never closes), and the line after it is a well-formed record, the
   * quote is taken for a stray one: `broken`, the record at `end` costs its first line only and
   * reading resumes at `resume`. A multi-line record followed by more damage stays one rejected
   * record, as before.
   */
  private scan(input: string, from: number, last: boolean): Cut {
    const nl = this.newline
    const nlCode = nl.charCodeAt(0)
    const delim = this.delimiter.charCodeAt(0)
    let i = from
    let recStart = from
    let multi = false
    /** The quote that opened the record's last field to run past its line. */
    let multiQ = -1
    for (;;) {
      const q = input.indexOf('"', i)
      const stop = q === -1 ? input.length : q
      const firstNl = input.indexOf(nl, i)
      if (firstNl !== -1 && firstNl < stop) {
        if (multi) {
          multi = false
          const verdict = this.judge(input, recStart, multiQ, firstNl + 1, last)
          if (verdict) return verdict
        }
        recStart = input.lastIndexOf(nl, stop - 1) + 1
      }
      if (q === -1) {
        if (multi && last) {
          const verdict = this.judge(input, recStart, multiQ, input.length, last)
          if (verdict) return verdict
        }
        return { end: last ? input.length : recStart, broken: false, resume: 0 }
      }
      if (q !== recStart && input.charCodeAt(q - 1) !== delim) {
        i = q + 1
        continue
      }
      const close = closingQuote(input, q, delim, nlCode)
      if (close === -1) return this.unclosed(input, recStart, last)
      const lineBreak = input.indexOf(nl, q)
      if (lineBreak !== -1 && lineBreak < close) {
        multi = true
        multiQ = q
      }
      i = close + 1
    }
  }

  /**
   * The multi-line record [recStart, recEnd): null when it stands, as one record. One whose
   * quotes do not parse, or of the wrong width (a stray quote that closed on a neighbour's
   * opening quote), is cut where well-formed records start again; with no such line it stays
   * one rejection. One of the header's width stands: a quoted line break may well be followed
   * by text that reads as a record on its own, unless the record's lines read as a stray quote
   * and whole records (strayHead).
   */
  private judge(input: string, recStart: number, multiQ: number, recEnd: number, last: boolean): Cut | null {
    const resume = this.strayHead(input, recStart, multiQ, recEnd)
    if (resume !== -1) return { end: recStart, broken: true, resume }
    if (this.shape(input.slice(recStart, recEnd)) === 'ok') return null
    return this.cut(input, recStart, recEnd, last)
  }

  /**
   * A damaged record from recStart to recEnd: the first of its later lines where well-formed
   * records start again ends it (`broken`); null when there is none within it.
   */
  private cut(input: string, recStart: number, recEnd: number, last: boolean): Cut | null {
    const nl = this.newline
    for (let at = lineEnd(input, recStart, nl); at < recEnd; at = lineEnd(input, at, nl)) {
      const next = this.nextLineWellFormed(input, at, last)
      if (next === 'wait') return { end: recStart, broken: false, resume: 0 }
      if (next) return { end: recStart, broken: true, resume: at }
    }
    return null
  }

  /** A quote opened at the record from recStart that does not close (yet) within the input. */
  private unclosed(input: string, recStart: number, last: boolean): Cut {
    // Wait for more text, up to the record limit.
    if (!last && input.length - recStart <= MAX_RECORD) return { end: recStart, broken: false, resume: 0 }
    const verdict = this.cut(input, recStart, input.length, last)
    if (verdict) return verdict
    if (last) return { end: recStart, broken: true, resume: input.length }
    return { end: recStart, broken: false, resume: 0 }
  }

  /**
   * The multi-line record [recStart, recEnd) read as a stray quote: `quoteAt` opened the field
   * that ran past its line; taken out, the lines up to the quote's own make a record of the
   * header's width, and every later line is, on its own, a well-formed record that reads as a
   * transaction (plausible.ts). Then those first lines are the broken record and reading resumes
   * after them (the offset returned); -1 when not. A quoted line break leaves its record short
   * of fields on its first line and the text after it shifted, so it is not taken for one.
   */
  private strayHead(input: string, recStart: number, quoteAt: number, recEnd: number): number {
    if (quoteAt < recStart || this.cols === null) return -1
    const headEnd = lineEnd(input, quoteAt, this.newline)
    if (headEnd >= recEnd || this.shape(input.slice(recStart, quoteAt) + input.slice(quoteAt + 1, headEnd)) !== 'ok') return -1
    for (let at = headEnd; at < recEnd;) {
      const end = lineEnd(input, at, this.newline)
      const text = input.slice(at, end)
      at = end
      if (text.trim() === '') continue
      const row = this.one(text)
      if (row === null || !this.fits(row) || !plausibleRecord(row, this.cols)) return -1
    }
    return headEnd
  }

  /** `text` as one record: well formed, of the wrong width, or with quotes that do not parse. */
  private shape(text: string): 'ok' | 'width' | 'error' {
    const row = this.one(text)
    if (row === null) return 'error'
    return this.fits(row) ? 'ok' : 'width'
  }

  /** `text` parsed as exactly one non-blank record without errors, or null. */
  private one(text: string): string[] | null {
    const r = Papa.parse<string[]>(text, { delimiter: this.delimiter, newline: this.newline as '\n' | '\r' })
    const rows = r.data.filter((row) => !isBlankRow(row))
    return r.errors.length > 0 || rows.length !== 1 ? null : (rows[0] as string[])
  }

  /** The header's width, or more fields that are all blank (trailing commas). */
  private fits(row: readonly string[]): boolean {
    return this.width === 0 || row.length === this.width || (row.length > this.width && isBlankRow(row.slice(this.width)))
  }

  /** Whether the first non-blank record from `at` is well formed ('wait' while unknown). */
  private nextLineWellFormed(input: string, at: number, last: boolean): boolean | 'wait' {
    for (let from = at; from < input.length; ) {
      const end = recordEnd(input, from, this.newline, this.delimiter.charCodeAt(0))
      if (end === -1) return last ? false : 'wait'
      const text = input.slice(from, end)
      if (text.trim() !== '') return this.shape(text) === 'ok'
      from = end
    }
    return last ? true : 'wait'
  }

  /** A record whose quote does not close where it should: its first line is rejected. */
  private brokenLine(text: string): void {
    const line = this.line
    this.line += Math.max(1, countOf(text, this.newline, text.length))
    if (text.trim() === '') return
    this.sawContent = true
    if (this.cols === null) {
      const r = Papa.parse<string[]>(text, { delimiter: this.delimiter, newline: this.newline as '\n' | '\r' })
      return this.row((r.data[0] ?? []) as string[], line, undefined)
    }
    this.out.add('malformed CSV: Quoted field unterminated: a quote opens in this record and does not close where the record ends; the record is skipped and reading resumes on the next line', line)
  }

  private parseRun(input: string, last: boolean): void {
    if (input.length === 0) return
    const parser = this.parser as Papa.Parser
    const result = parser.parse(input, 0, !last) as PapaResult
    const rows = result.data
    let errors: Map<number, string> | null = null
    for (const e of result.errors) {
      if (e.row === undefined) continue
      errors ??= new Map()
      if (!errors.has(e.row)) errors.set(e.row, e.message)
    }
    // Fast path: as many line breaks as rows means no row spans lines.
    const oneLineEach = !last && countOf(input, this.newline, input.length) === rows.length
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i] as string[]
      const line = this.line
      this.line += oneLineEach ? 1 : 1 + lineBreaksIn(row, this.newline)
      this.row(row, line, errors?.get(i))
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
    this.delimiter = detectDelimiter(lines[first] as string)
    this.parser = new Papa.Parser({ delimiter: this.delimiter, newline: this.newline as '\n' | '\r' })
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
    if (!this.fits(row)) {
      return this.out.add(`${row.length} fields where the header has ${this.width}`, line)
    }
    this.out.add(toLine(row, this.cols, line, false, this.reading), line)
  }

  finish(): void {
    if (!this.sawContent) throw noDataRows('no data rows: the file has no header and no rows, only blank lines')
    if (this.out.accepted + this.out.rejected === 0) throw noDataRows('no data rows: the file has a header but no data rows')
  }
}

/** Batches of about `batchSize` lines from the bytes of a CSV file. */
export async function* csvBatches(bytes: AsyncIterable<Buffer>, batchSize: number, reading?: Reading): AsyncGenerator<RowBatch> {
  const decoder = new LineDecoder(MAX_RECORD)
  const out = new BatchBuilder(batchSize)
  const rows = new CsvRows(out, reading)
  for await (const chunk of bytes) {
    rows.feed(decoder.push(chunk), decoder.lineBreak, false)
    if (out.full) yield out.take()
  }
  rows.feed(decoder.end(), decoder.lineBreak, true)
  rows.finish()
  reading?.dates.finish()
  if (!out.empty) yield out.take()
}
