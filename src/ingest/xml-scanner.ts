// The XML tokenizer under the worksheet and shared-strings scanners (sheetxml.ts,
// shared-strings.ts): tags found with indexOf, a tag's name and its r and t attributes read
// without allocating, text collected only while a subclass asks for it. Comments, processing
// instructions and CDATA are handled; a DOCTYPE is refused (no entity expansion here). Memory:
// the unparsed remainder is at most one tag or one text node, bounded by the zip guard.
import { unreadable } from './problems.ts'

// The elements the scanners tell apart, by local name. Plain constants (not a const enum): Node
// runs this file by stripping types only.
export const El = {
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
export type El = (typeof El)[keyof typeof El]

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
export abstract class XmlScanner {
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
