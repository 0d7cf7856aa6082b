// Worksheet and shared-strings XML → values, streaming. exceljs still walks the package (zip,
// workbook, relationships, spooling); this replaces its worksheet reader, which builds a Row and
// Cell object per cell on top of a general XML parser: 13-14 s for the 172 MB sheet of the full
// UCI data on this machine, of which its XML parser (saxes) alone takes 8 s. The grammar of
// sheetData and sst is small and fixed (SpreadsheetML, ECMA-376 §18.3.1 and §18.4), so a scanner
// over the text with indexOf does it in about 2 s.
//
// The tokenizer both scanners share is xml-scanner.ts; the shared strings are shared-strings.ts.
//
// Handled: <row r>, <c r t> with t = s (shared string), inlineStr (<is><t>, rich runs, phonetic
// runs skipped), str (formula string), n (number, the default), b, e, d (ISO date text);
// formulas (their cached <v> is the value); namespace prefixes; both quote styles; entities and
// CDATA; comments and processing instructions. A DOCTYPE is refused (no entity expansion here).
import type { Cell } from './record.ts'
import { unreadable } from './problems.ts'
import { decodeXmlText, El, XmlScanner } from './xml-scanner.ts'

export interface SheetRow {
  /** The sheet row number (1-based, as Excel shows it). */
  r: number
  /** Values by column (index 0 = column A); undefined for empty cells. */
  cells: Cell[]
}

// Plain constants (not a const enum): Node runs this file by stripping types only.
const Type = {
  Number: 0,
  Shared: 1,
  Inline: 2,
  Str: 3,
  Bool: 4,
  Error: 5,
  Date: 6,
} as const
type Type = (typeof Type)[keyof typeof Type]

const POWERS_OF_TEN = Array.from({ length: 16 }, (_, k) => 10 ** k)

/** The digits s[from, to) as a number; -1 when there are none or anything else. */
function integerAt(s: string, from: number, to: number): number {
  if (from >= to || to - from > 15) return -1
  let n = 0
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i)
    if (c < 48 || c > 57) return -1
    n = n * 10 + c - 48
  }
  return n
}

/**
 * The number written in s[from, to), NaN when it is not one. Up to 15 digits it is computed
 * here (an exact integer divided by an exact power of ten: the correctly rounded value, as
 * Number() gives); longer mantissas and exponents go through Number().
 */
function numberAt(s: string, from: number, to: number): number {
  let i = from
  const negative = s.charCodeAt(i) === 45
  if (negative) i++
  let mantissa = 0
  let digits = 0
  let decimals = 0
  let dot = false
  for (; i < to; i++) {
    const c = s.charCodeAt(i)
    if (c >= 48 && c <= 57) {
      mantissa = mantissa * 10 + c - 48
      digits++
      if (dot) decimals++
    } else if (c === 46 && !dot) {
      dot = true
    } else {
      break
    }
  }
  if (i === to && digits > 0 && digits <= 15) {
    const value = mantissa / (POWERS_OF_TEN[decimals] as number)
    return negative && value !== 0 ? -value : value
  }
  const text = s.slice(from, to).trim()
  const value = text === '' ? NaN : Number(text)
  return Number.isFinite(value) ? value + 0 : NaN
}

/** A worksheet's XML → its rows of values (sheetData only), taken out by the caller as they complete. */
export class SheetScanner extends XmlScanner {
  /** Completed rows; the caller takes them out. */
  readonly rows: SheetRow[] = []
  /** Characters of cell text produced (shared strings expanded): the amplification measure. */
  expanded = 0
  private inData = false
  private cells: Cell[] | null = null
  private rowNumber = 0
  private col = 0
  private type: Type = Type.Number
  private inCell = false
  private hasValue = false
  private value = ''
  private inInline = false
  private inPhonetic = false
  private inline = ''

  private readonly sharedStrings: readonly string[]
  constructor(sharedStrings: readonly string[]) {
    super()
    this.sharedStrings = sharedStrings
  }

  end(): void {
    if (!this.finish() || this.inData) throw unreadable('the worksheet XML is truncated')
  }

  protected opened(s: string, el: El, empty: boolean): void {
    switch (el) {
      case El.SheetData:
        this.inData = !empty
        if (empty) this.done = true
        return
      case El.Row:
        if (!this.inData) return
        this.rowNumber = this.rFrom >= 0 ? this.int(s, this.rFrom, this.rTo) : this.rowNumber + 1
        this.col = 0
        // Starting with a non-number element keeps V8 from converting the array's storage as
        // numbers and strings arrive.
        this.cells = empty ? null : [undefined]
        return
      case El.C:
        if (!this.cells) return
        this.col = this.rFrom >= 0 ? this.column(s, this.rFrom, this.rTo) : this.col + 1
        this.type = this.tFrom >= 0 ? this.cellType(s, this.tFrom, this.tTo) : Type.Number
        this.inCell = !empty
        this.hasValue = false
        this.pieceFrom = -1
        this.inline = ''
        return
      case El.V:
        if (!this.inCell) return
        this.startCapture()
        if (empty) {
          this.capture = false
          this.hasValue = true
        }
        return
      case El.Is:
        if (this.inCell && !empty) this.inInline = true
        return
      case El.Phonetic:
        if (this.inInline && !empty) this.inPhonetic = true
        return
      case El.T:
        if (this.inInline && !this.inPhonetic && !empty) this.startCapture()
        return
      default:
        return
    }
  }

  protected closed(el: El): void {
    switch (el) {
      case El.V:
        if (this.capture) {
          this.capture = false
          this.hasValue = true // the value stays in the capture, read by finishCell
        }
        return
      case El.T:
        if (this.capture) {
          this.capture = false
          this.inline += this.captured()
        }
        return
      case El.Phonetic:
        this.inPhonetic = false
        return
      case El.Is:
        this.inInline = false
        return
      case El.C:
        if (this.inCell) {
          this.inCell = false
          this.finishCell()
        }
        return
      case El.Row:
        if (this.cells) {
          this.rows.push({ r: this.rowNumber, cells: this.cells })
          this.cells = null
        }
        return
      case El.SheetData:
        this.inData = false
        this.done = true
        return
      default:
        return
    }
  }

  private finishCell(): void {
    const cells = this.cells as Cell[]
    let cell: Cell
    switch (this.type) {
      case Type.Shared: {
        if (!this.hasValue) return
        const index = this.pieceFrom >= 0 ? integerAt(this.piece, this.pieceFrom, this.pieceTo) : integerAt(this.captured(), 0, this.captured().length)
        const text = this.sharedStrings[index]
        cell = text ?? { error: `shared string ${this.captured().trim()} does not exist` }
        if (text) this.expanded += text.length
        break
      }
      case Type.Inline: {
        const text = decodeXmlText(this.inline.length > 0 || !this.hasValue ? this.inline : this.captured())
        this.expanded += text.length
        cell = text
        break
      }
      case Type.Str:
      case Type.Date:
        if (!this.hasValue) return
        cell = decodeXmlText(this.captured())
        this.expanded += cell.length
        break
      case Type.Bool:
        if (!this.hasValue) return
        cell = this.captured().trim() === '1'
        break
      case Type.Error:
        cell = { error: decodeXmlText(this.hasValue ? this.captured() : '').trim() }
        break
      default: {
        if (!this.hasValue) return
        const number = this.pieceFrom >= 0 ? numberAt(this.piece, this.pieceFrom, this.pieceTo) : numberAt(this.captured(), 0, this.captured().length)
        if (Number.isNaN(number)) {
          const text = decodeXmlText(this.captured())
          if (text.trim() === '') return
          cell = text
        } else {
          cell = number
        }
      }
    }
    cells[this.col - 1] = cell
  }

  private int(s: string, from: number, to: number): number {
    const n = integerAt(s, from, to)
    return n < 0 ? this.rowNumber + 1 : n
  }

  /** The column (1 = A) of a cell reference such as "AB12". */
  private column(s: string, from: number, to: number): number {
    let n = 0
    let i = from
    for (; i < to; i++) {
      const c = s.charCodeAt(i)
      if (c < 65 || c > 90) break
      n = n * 26 + c - 64
    }
    return i === from || n > 16_384 ? this.col + 1 : n
  }

  private cellType(s: string, from: number, to: number): Type {
    const len = to - from
    const c = s.charCodeAt(from)
    if (len === 1) return c === 115 ? Type.Shared : c === 98 ? Type.Bool : c === 101 ? Type.Error : c === 100 ? Type.Date : Type.Number
    if (len === 3 && c === 115) return Type.Str
    if (len === 9 && c === 105) return Type.Inline
    return Type.Number
  }
}
