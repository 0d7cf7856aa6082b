// Bytes → text for the CSV reader, one run of complete lines at a time.
//
// Encoding: UTF-8 (a byte-order mark is dropped). Files saved by older Excel or Windows tools
// are windows-1252, where "é" is the single byte 0xE9: invalid UTF-8. Rather than turning such
// characters into U+FFFD, every LINE that is not valid UTF-8 is decoded as windows-1252 (a
// superset of Latin-1), and valid lines stay UTF-8. Deciding per line, not per file, needs no
// look-ahead and keeps a mostly-UTF-8 file with one stray Latin-1 line intact; splitting at LF
// is safe because 0x0A never occurs inside a UTF-8 sequence.
//
// Only complete lines are decoded; the unfinished last line is carried to the next chunk, which
// also keeps multi-byte characters whole. A line longer than `maxLine` bytes is refused, so a file
// without line breaks cannot grow the carry without bound. Old Mac Excel ends lines with CR
// alone: when the bytes have no LF but a CR followed by more bytes, CR is the line break.
import { isUtf8 } from 'node:buffer'
import { bytesText, unreadable, unsupported } from './problems.ts'

// windows-1252 differs from Latin-1 only in 0x80-0x9F; the five undefined bytes map to the C1
// controls, as in the WHATWG Encoding Standard.
const CP1252_HIGH = '€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008DŽ\u008F\u0090‘’“”•–—˜™š›œ\u009DžŸ'

export function decodeWindows1252(bytes: Uint8Array): string {
  const latin1 = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1')
  return /[\x80-\x9F]/.test(latin1) ? latin1.replace(/[\x80-\x9F]/g, (c) => CP1252_HIGH[c.charCodeAt(0) - 0x80] as string) : latin1
}

/** LF (10) if there is one; CR (13) if one is followed by something else; 0 while unknown. */
function lineEnd(bytes: Buffer): number {
  if (bytes.includes(10)) return 10
  const cr = bytes.indexOf(13)
  return cr !== -1 && cr < bytes.length - 1 ? 13 : 0
}

export class LineDecoder {
  private carry: Buffer | null = null
  /** The line-ending byte: LF, or CR for old Mac files that have no LF at all (0 = not known yet). */
  private eol = 0
  private started = false
  /** Bytes seen so far, to report where a NUL byte is. */
  private offset = 0
  /** Lines that were not UTF-8 and were read as windows-1252. */
  windows1252Lines = 0

  private readonly maxLine: number
  constructor(maxLine: number) {
    this.maxLine = maxLine
  }

  /** The text of the complete lines available after `chunk` (possibly ''). */
  push(chunk: Buffer): string {
    const nul = chunk.indexOf(0)
    if (nul !== -1) {
      throw unsupported(`binary data: a NUL byte at byte ${this.offset + nul} of the text; expected CSV text (UTF-8 or windows-1252), gzipped CSV or xlsx`)
    }
    this.offset += chunk.length
    const bytes = this.carry ? Buffer.concat([this.carry, chunk]) : chunk
    if (this.eol === 0) this.eol = lineEnd(bytes)
    const lastLf = this.eol === 0 ? -1 : bytes.lastIndexOf(this.eol)
    if (lastLf === -1) {
      this.keep(bytes)
      return ''
    }
    this.keep(lastLf + 1 < bytes.length ? bytes.subarray(lastLf + 1) : null)
    return this.decode(bytes.subarray(0, lastLf + 1))
  }

  /** The line break in use: "\r" only for files whose lines end with CR alone. */
  get lineBreak(): '\n' | '\r' {
    return this.eol === 13 ? '\r' : '\n'
  }

  /** The text of the last line, which has no line break. */
  end(): string {
    const rest = this.carry
    this.carry = null
    return rest ? this.decode(rest) : ''
  }

  private keep(bytes: Buffer | null): void {
    if (bytes && bytes.length > this.maxLine) {
      throw unreadable(`a line longer than ${bytesText(this.maxLine)} (no line break found); is this really CSV?`)
    }
    this.carry = bytes
  }

  private decode(bytes: Buffer): string {
    if (!this.started) {
      this.started = true
      if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3)
    }
    let text: string
    if (isUtf8(bytes)) {
      text = bytes.toString('utf8')
    } else {
      const parts: string[] = []
      for (let from = 0; from < bytes.length; ) {
        const lf = bytes.indexOf(this.eol, from)
        const to = lf === -1 ? bytes.length : lf + 1
        const line = bytes.subarray(from, to)
        if (isUtf8(line)) {
          parts.push(line.toString('utf8'))
        } else {
          parts.push(decodeWindows1252(line))
          this.windows1252Lines++
        }
        from = to
      }
      text = parts.join('')
    }
    return text
  }
}
