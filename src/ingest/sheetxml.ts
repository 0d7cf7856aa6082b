// Worksheet and shared-strings XML → values, streaming. exceljs still walks the package (zip,
// workbook, relationships, spooling); this replaces its worksheet reader, which builds a Row and
// Cell object per cell on top of a general XML parser: 13-14 s for the 172 MB sheet of the full
// UCI data on this machine, of which its XML parser (saxes) alone takes 8 s. The grammar of
// sheetData and sst is small and fixed (SpreadsheetML, ECMA-376 §18.3.1 and §18.4), so a scanner
// over the text with indexOf does it in about 2 s.
//
// Handled: <row r>, <c r t> with t = s (shared string), inlineStr (<is><t>, rich runs, phonetic
// runs skipped), str (formula string), n (number, the default), b, e, d (ISO date text);
// formulas (their cached <v> is the value); namespace prefixes; both quote styles; entities and
// CDATA; comments and processing instructions. A DOCTYPE is refused (no entity expansion here).
// Memory: the unparsed remainder is at most one tag or one text node, bounded by the zip guard.
import type { Cell } from './record.ts'
import { unreadable } from './problems.ts'

export interface SheetRow {
  /** The sheet row number (1-based, as Excel shows it). */
  r: number
  /** Values by column (index 0 = column A); undefined for empty cells. */
  cells: Cell[]
}

// Plain constants (not a const enum): Node runs this file by stripping types only.
const El = {
  Other: 0,
  SheetData: 1,
  Row: 2,
  C: 3,
  V: 4,
  Is: 5,
  Si: 6,
  T: 7,
  Phonetic: 8,
} as const
type El = (typeof El)[keyof typeof El]

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

const isWs = (c: number) => c === 32 || c === 10 || c === 9 || c === 13

const ENTITY = /&(?:#(\d+)|#x([0-9a-fA-F]+)|(lt|gt|amp|quot|apos));/g
const NAMED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" }

/** Cell text as XML means it: line ends normalized to LF (XML 1.0 §2.11), entities decoded. */
export function decodeXmlText(text: string): string {
  if (text.includes('\r')) text = text.replace(/\r\n?/g, '\n')
  if (!text.includes('&')) return text
  return text.replace(ENTITY, (m, dec: string | undefined, hex: string | undefined, name: string | undefined) => {
    if (name) return NAMED[name] as string
    const code = dec ? Number(dec) : parseInt(hex as string, 16)
    return code <= 0x10ffff ? String.fromCodePoint(code) : m
  })
}

/**
 * The tokenizer both scanners share: finds tags with indexOf, reads a tag's name and its r and t
 * attributes without allocating, and collects text only while a subclass asks for it.
 */
abstract class XmlScanner {
  protected done = false
  /** Text is collected while true; read it with captured(), or as a span (see piece). */
  protected capture = false
  // The collected text: while it is one run inside one chunk it is only a span of that chunk
  // (piece, pieceFrom, pieceTo), so most cell values are never copied into strings of their own.
  protected piece = ''
  protected pieceFrom = -1
  protected pieceTo = -1
  private text = ''
  // The r and t attributes of the tag being opened (positions in the current text, or -1).
  protected rFrom = -1
  protected rTo = -1
  protected tFrom = -1
  protected tTo = -1
  private rest = ''
  /** The bytes of a character split by the end of the last chunk. */
  private partial: Buffer | null = null

  protected abstract opened(s: string, el: El, empty: boolean): void
  protected abstract closed(el: El): void

  protected startCapture(): void {
    this.capture = true
    this.text = ''
    this.pieceFrom = -1
  }

  /** The text collected since startCapture(). */
  protected captured(): string {
    if (this.pieceFrom >= 0) {
      this.text = this.piece.slice(this.pieceFrom, this.pieceTo)
      this.pieceFrom = -1
    }
    return this.text
  }

  private collect(s: string, from: number, to: number): void {
    if (this.pieceFrom < 0 && this.text.length === 0) {
      this.piece = s
      this.pieceFrom = from
      this.pieceTo = to
    } else {
      this.text = this.captured() + s.slice(from, to)
    }
  }

  /**
   * Scans the next bytes of the document. The unscanned rest (part of a tag) goes back in front
   * of the bytes, so that each chunk is decoded into one flat string: concatenating strings
   * would give V8 a rope, slower to read character by character.
   */
  push(chunk: Buffer): void {
    if (this.done) return
    let bytes = chunk
    if (this.rest.length > 0 || this.partial) {
      bytes = Buffer.concat([Buffer.from(this.rest), this.partial ?? EMPTY, chunk])
      this.rest = ''
    }
    const end = completeUtf8(bytes)
    this.partial = end < bytes.length ? Buffer.from(bytes.subarray(end)) : null
    this.scan(bytes.toString('utf8', 0, end))
  }

  /** The end of the document: false when it stops inside a tag. */
  protected finish(): boolean {
    if (this.done) return true
    this.scan(this.rest + (this.partial ? this.partial.toString('utf8') : ''))
    return this.rest.trim().length === 0
  }

  private scan(s: string): void {
    const n = s.length
    let pos = 0
    while (pos < n && !this.done) {
      const lt = s.indexOf('<', pos)
      if (lt === -1) {
        if (this.capture) this.collect(s, pos, n)
        pos = n
        break
      }
      if (this.capture && lt > pos) this.collect(s, pos, lt)
      pos = lt
      if (lt + 1 >= n) break
      const c1 = s.charCodeAt(lt + 1)
      let next: number
      // Fast paths for <v>, </v>, </c> and the like: one-letter names without attributes.
      if (lt + 3 < n && s.charCodeAt(lt + 2 + (c1 === 47 ? 1 : 0)) === 62) {
        if (c1 === 47) {
          this.closed(oneLetter(s.charCodeAt(lt + 2)))
          pos = lt + 4
        } else {
          this.rFrom = this.tFrom = -1
          this.opened(s, oneLetter(c1), false)
          pos = lt + 3
        }
        continue
      }
      if (c1 === 47) {
        const gt = s.indexOf('>', lt + 2)
        if (gt === -1) break
        let to = gt
        while (to > lt + 2 && isWs(s.charCodeAt(to - 1))) to--
        this.closed(element(s, lt + 2, to))
        next = gt + 1
      } else if (c1 === 63) {
        const e = s.indexOf('?>', lt + 2)
        if (e === -1) break
        next = e + 2
      } else if (c1 === 33) {
        next = this.bang(s, lt)
        if (next === -1) break
      } else {
        next = this.open(s, lt + 1)
        if (next === -1) break
      }
      pos = next
    }
    this.rest = pos < n && !this.done ? s.slice(pos) : ''
    // A span cannot outlive its chunk's scan: the next chunk continues the text.
    if (this.capture && this.pieceFrom >= 0) this.captured()
  }

  /** Comments, CDATA, DOCTYPE; -1 when incomplete. */
  private bang(s: string, lt: number): number {
    if (s.startsWith('<!--', lt)) {
      const e = s.indexOf('-->', lt + 4)
      return e === -1 ? -1 : e + 3
    }
    if (s.startsWith('<![CDATA[', lt)) {
      const e = s.indexOf(']]>', lt + 9)
      if (e === -1) return -1
      // Escape the literal text so that the entity decoding of the cell leaves it as it was.
      if (this.capture) this.text = this.captured() + s.slice(lt + 9, e).replace(/&/g, '&amp;')
      return e + 3
    }
    if (s.length - lt < 9) return -1
    throw unreadable('the workbook XML declares a DOCTYPE, which a workbook never has')
  }

  /** An opening (or empty) tag whose name starts at `i`; returns the index after it, -1 when incomplete. */
  private open(s: string, i: number): number {
    const n = s.length
    let p = i
    let c: number
    while (p < n && !isWs((c = s.charCodeAt(p))) && c !== 62 && c !== 47) p++
    if (p >= n) return -1
    const el = element(s, i, p)
    this.rFrom = this.tFrom = -1
    // Attributes: values are skipped by their quotes, so a '>' inside one cannot end the tag.
    let empty = false
    for (;;) {
      while (p < n && isWs(s.charCodeAt(p))) p++
      if (p >= n) return -1
      c = s.charCodeAt(p)
      if (c === 62) {
        p++
        break
      }
      if (c === 47) {
        if (p + 1 >= n) return -1
        empty = true
        p += 2
        break
      }
      const nameFrom = p
      while (p < n && (c = s.charCodeAt(p)) !== 61 && !isWs(c) && c !== 62 && c !== 47) p++
      const nameTo = p
      while (p < n && isWs(s.charCodeAt(p))) p++
      if (p >= n) return -1
      if (s.charCodeAt(p) !== 61) throw unreadable('the workbook XML is malformed (an attribute without a value)')
      p++
      while (p < n && isWs(s.charCodeAt(p))) p++
      if (p >= n) return -1
      const q = s.charCodeAt(p)
      if (q !== 34 && q !== 39) throw unreadable('the workbook XML is malformed (an unquoted attribute)')
      const valueTo = s.indexOf(q === 34 ? '"' : "'", p + 1)
      if (valueTo === -1) return -1
      if (nameTo - nameFrom === 1) {
        const a = s.charCodeAt(nameFrom)
        if (a === 114) {
          this.rFrom = p + 1
          this.rTo = valueTo
        } else if (a === 116) {
          this.tFrom = p + 1
          this.tTo = valueTo
        }
      }
      p = valueTo + 1
    }
    this.opened(s, el, empty)
    return p
  }
}

const EMPTY = Buffer.alloc(0)

/** The length of the longest prefix of `bytes` that ends on a whole UTF-8 character. */
function completeUtf8(bytes: Buffer): number {
  const n = bytes.length
  let i = n - 1
  while (i >= 0 && i > n - 4 && ((bytes[i] as number) & 0xc0) === 0x80) i--
  if (i < 0) return n
  const lead = bytes[i] as number
  const need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1
  return n - i < need ? i : n
}

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

const oneLetter = (c: number) => (c === 99 ? El.C : c === 118 ? El.V : c === 116 ? El.T : El.Other)

/** The element a tag name denotes, by its local name (a namespace prefix is dropped). */
function element(s: string, from: number, to: number): El {
  if (to - from > 1) for (let i = from; i < to; i++) if (s.charCodeAt(i) === 58) from = i + 1
  const len = to - from
  const c = s.charCodeAt(from)
  if (len === 1) return oneLetter(c)
  if (len === 2) {
    const c2 = s.charCodeAt(from + 1)
    return c === 105 && c2 === 115 ? El.Is : c === 115 && c2 === 105 ? El.Si : El.Other
  }
  if (len === 3) {
    if (c === 114 && s.charCodeAt(from + 1) === 111 && s.charCodeAt(from + 2) === 119) return El.Row
    if (c === 114 && s.charCodeAt(from + 1) === 80 && s.charCodeAt(from + 2) === 104) return El.Phonetic
    return El.Other
  }
  if (len === 9) return s.startsWith('sheetData', from) ? El.SheetData : El.Other
  return El.Other
}

/**
 * xl/sharedStrings.xml → the strings, in order: the text of each <si>, rich-text runs joined,
 * phonetic runs left out. (exceljs's own parser decodes every inflated chunk separately and
 * breaks characters that straddle two chunks.)
 */
export class SharedStringsScanner extends XmlScanner {
  readonly strings: string[] = []
  private inItem = false
  private inPhonetic = false
  private item = ''

  protected opened(_s: string, el: El, empty: boolean): void {
    if (el === El.Si) {
      if (empty) this.strings.push('')
      else {
        this.inItem = true
        this.item = ''
      }
    } else if (el === El.Phonetic && this.inItem && !empty) {
      this.inPhonetic = true
    } else if (el === El.T && this.inItem && !this.inPhonetic && !empty) {
      this.startCapture()
    }
  }

  protected closed(el: El): void {
    if (el === El.T && this.capture) {
      this.capture = false
      this.item += this.captured()
    } else if (el === El.Phonetic) {
      this.inPhonetic = false
    } else if (el === El.Si && this.inItem) {
      this.inItem = false
      this.strings.push(own(decodeXmlText(this.item)))
    }
  }

  end(): string[] {
    if (!this.finish() || this.inItem) throw unreadable('the shared strings of the workbook are truncated')
    return this.strings
  }
}

/**
 * A copy that does not share memory with the text it was cut from: V8 keeps the whole parent
 * string alive for a slice, and every shared string lives as long as the upload.
 */
const own = (s: string) => (s.length >= 13 ? Buffer.from(s, 'utf8').toString('utf8') : s)

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
