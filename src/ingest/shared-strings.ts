// xl/sharedStrings.xml → the strings, on the tokenizer of xml-scanner.ts.
import { decodeXmlText, El, XmlScanner } from './xml-scanner.ts'
import { unreadable } from './problems.ts'

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
