// Per-file reading decisions: the date format and the decimal mark are decided for the whole file
// from its values (or set by the client), never row by row, so a file is read one way or refused.
//
// Dates. ISO (`2010-12-01 08:26`, `2010/12/01`), dotted `01.12.2010` (always day first) and Excel
// serials need no decision. Slash dates `a/b/yyyy` do: a first part > 12 proves day first, a
// second part > 12 proves month first; a file holding both is contradictory (422). Values with
// both parts <= 12 are ambiguous. The upload streams, so rows read before the deciding value are
// written month first and remembered as runs of (sheet, line); if the file turns out to be day
// first, the store swaps day and month of exactly those rows in the same transaction before it
// commits (store.ts), and the summary's date range is taken from the day-first reading of them,
// which was tracked alongside. A file holding any ambiguous value that is never decided is refused
// (422, naming the candidates and `?dateFormat=`), however few: a one-row file `1/2/2011` cannot
// be read either way without guessing, and the answer tells the user exactly what to add.
//
// Decimals. A price with a comma and no dot (`2,55`) is evidence of a decimal comma, one with a
// dot and no comma (`2.55`) of a decimal dot; integers say nothing (and read the same either way).
// The first evidence decides; contrary evidence later refuses the file (422). Values with both
// marks (`1,234.50`) are rejected row by row, as thousands separators are not read.
import { HttpProblem } from '../errors.ts'

export type DateOrder = 'dmy' | 'mdy'
export type Decimal = '.' | ','

export interface ReadingOptions {
  /** One worksheet, by name or 1-based index (xlsx only). */
  sheet?: string
  /** Slash-date order forced by the client, e.g. `DD/MM/YYYY HH:mm`. */
  dateFormat?: string
  decimal?: Decimal
  /** Share of rejected rows above which the upload is refused; default 0.01. */
  maxRejectedShare?: number
}

export const DEFAULT_MAX_REJECTED_SHARE = 0.01

export const DATE_FORMATS = ['DD/MM/YYYY', 'MM/DD/YYYY', 'YYYY-MM-DD', 'DD.MM.YYYY'] as const
/** The `dateFormat` query: one of DATE_FORMATS, optionally followed by a time pattern. */
export const DATE_FORMAT_PATTERN = '^(DD/MM/YYYY|MM/DD/YYYY|YYYY-MM-DD|DD\\.MM\\.YYYY)( HH:mm(:ss)?)?$'

/** The slash order a `dateFormat` option forces, null when it forces none (ISO, dotted). */
export function orderOf(dateFormat: string | undefined): DateOrder | null {
  if (dateFormat === undefined) return null
  if (dateFormat.startsWith('DD/MM')) return 'dmy'
  if (dateFormat.startsWith('MM/DD')) return 'mdy'
  return null
}

/** A run of consecutive rows of one sheet (0 for CSV) read month first before the decision. */
export interface ParkedRun {
  sheet: number
  from: number
  to: number
}

export const dateProblem = (detail: string, candidates: string[]) =>
  new HttpProblem(422, 'Date format undecided', detail,
    candidates.map((c) => ({ path: 'dateFormat', message: `candidate: ${c} (upload again with ?dateFormat=${encodeURIComponent(c)})` })))

const label = (order: DateOrder) => (order === 'dmy' ? 'DD/MM/YYYY HH:mm' : 'MM/DD/YYYY HH:mm')

/** Tracks the date styles of one file and decides the slash order. */
export class DateDecision {
  order: DateOrder | null
  readonly forced: boolean
  /** Rows with an ambiguous slash date read before the decision, as runs. */
  readonly parked: ParkedRun[] = []
  parkedCount = 0
  /** Range of the parked rows read month first and day first. */
  parkedMin = [Infinity, Infinity]
  parkedMax = [-Infinity, -Infinity]
  /** Rows per style, to report the format used. */
  readonly styles = new Map<string, number>()
  private proof: { order: DateOrder; value: string; where: string } | null = null

  constructor(forced: DateOrder | null) {
    this.order = forced
    this.forced = forced !== null
  }

  style(name: string): void {
    this.styles.set(name, (this.styles.get(name) ?? 0) + 1)
  }

  /** A slash value proving `order`; 422 when the file already proved the other. */
  prove(order: DateOrder, value: string, where: string): void {
    if (this.forced) return
    if (this.order === null) {
      this.order = order
      this.proof = { order, value, where }
      return
    }
    if (this.order !== order && this.proof) {
      throw dateProblem(
        `the file's slash dates contradict each other: ${JSON.stringify(this.proof.value)} (${this.proof.where}) can only be ${label(this.proof.order)}, ` +
          `${JSON.stringify(value)} (${where}) only ${label(order)}. Choose one with ?dateFormat= (rows that do not fit it are rejected)`,
        [label(this.proof.order), label(order)],
      )
    }
  }

  /** Records an ambiguous row read month first (`mdy`), with its day-first reading `dmy`. */
  park(sheet: number, line: number, mdy: number, dmy: number): void {
    this.parkedCount++
    const last = this.parked[this.parked.length - 1]
    if (last && last.sheet === sheet && last.to === line - 1) last.to = line
    else if (last && last.sheet === sheet && last.to === line) { /* same row */ }
    else this.parked.push({ sheet, from: line, to: line })
    if (mdy < this.parkedMin[0]!) this.parkedMin[0] = mdy
    if (mdy > this.parkedMax[0]!) this.parkedMax[0] = mdy
    if (dmy < this.parkedMin[1]!) this.parkedMin[1] = dmy
    if (dmy > this.parkedMax[1]!) this.parkedMax[1] = dmy
  }

  /** Called when the file ends: the decision, or 422 when ambiguous dates were never decided. */
  finish(): void {
    if (this.order === null && this.parkedCount > 0) {
      throw dateProblem(
        `the file's dates could be day first or month first: ${this.parkedCount} rows have slash dates whose day and month are both 12 or less, ` +
          'and no row decides it. Upload again with ?dateFormat=DD/MM/YYYY HH:mm (day first) or ?dateFormat=MM/DD/YYYY HH:mm (month first)',
        ['DD/MM/YYYY HH:mm', 'MM/DD/YYYY HH:mm'],
      )
    }
  }

  /** Whether the parked rows must be swapped to day first. */
  get swap(): boolean {
    return this.order === 'dmy' && this.parkedCount > 0
  }

  /** The format used: the style of most rows. */
  get used(): string | null {
    let best: string | null = null
    let n = 0
    for (const [name, count] of this.styles) {
      if (count > n) {
        best = name
        n = count
      }
    }
    if (best === 'slash') return label(this.order ?? 'mdy')
    return best
  }
}

export const decimalProblem = (detail: string) =>
  new HttpProblem(422, 'Mixed decimal marks', detail, [{ path: 'decimal', message: 'set the decimal mark with ?decimal=. or ?decimal=, (rows that do not fit it are rejected)' }])

/** Tracks the decimal mark of one file. */
export class DecimalDecision {
  mark: Decimal | null
  readonly forced: boolean
  private proof: { value: string; where: string } | null = null

  constructor(forced: Decimal | undefined) {
    this.mark = forced ?? null
    this.forced = forced !== undefined
  }

  /** Evidence of `mark` from `value`; 422 when the file already showed the other mark. */
  see(mark: Decimal, value: string, where: string): void {
    if (this.forced) return
    if (this.mark === null) {
      this.mark = mark
      this.proof = { value, where }
    } else if (this.mark !== mark && this.proof) {
      throw decimalProblem(
        `the file mixes decimal marks: ${JSON.stringify(this.proof.value)} (${this.proof.where}) has a decimal ${this.mark === ',' ? 'comma' : 'dot'}, ` +
          `${JSON.stringify(value)} (${where}) a decimal ${mark === ',' ? 'comma' : 'dot'}; it is refused rather than half read`,
      )
    }
  }
}

/** The reading state of one upload, shared by the CSV and xlsx readers. */
export class Reading {
  readonly dates: DateDecision
  readonly decimal: DecimalDecision
  readonly options: ReadingOptions
  /** Where the row being read is, for messages (`line 12`, `sheet "x" row 3`). */
  sheet = 0
  sheetName = ''
  /** Set by the date reader when the row's date was parked (ambiguous, undecided). */
  parkedNow = false
  /** Range of the dates that were not parked. */
  min = Infinity
  max = -Infinity

  /** A row's date was read: `ms` as stored. */
  seeDate(ms: number): void {
    if (this.parkedNow) {
      this.parkedNow = false
      return
    }
    if (ms < this.min) this.min = ms
    if (ms > this.max) this.max = ms
  }

  /** The true date range when the parked rows are swapped to day first; null otherwise. */
  swappedRange(): [number, number] | null {
    if (!this.dates.swap) return null
    return [Math.min(this.min, this.dates.parkedMin[1]!), Math.max(this.max, this.dates.parkedMax[1]!)]
  }

  constructor(options: ReadingOptions = {}) {
    this.options = options
    this.dates = new DateDecision(orderOf(options.dateFormat))
    this.decimal = new DecimalDecision(options.decimal)
  }

  where(line: number): string {
    return this.sheet === 0 ? `line ${line}` : `sheet ${JSON.stringify(this.sheetName)} row ${line}`
  }
}
