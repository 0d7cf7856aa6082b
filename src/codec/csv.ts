// The one codec for the text formats rows cross: PostgreSQL COPY CSV going in (`copyCsvText`),
// COPY TEXT coming out (`copyLines`, `decodeCopyText`), and the spreadsheet-safe CSV of exports
// (`csvCell`, `csvRow`). Every COPY and every CSV writer in src/ goes through here, so the
// escaping rules live in one place (issue 13: there were three writers and two decoders that
// disagreed on \b \f \v).

const QUOTE = /"/g

/**
 * A text field of COPY … FROM STDIN (FORMAT csv). Always quoted, so an empty string stays an
 * empty string and the unquoted empty field (null) means NULL.
 */
export function copyCsvText(value: string | null): string {
  if (value === null) return ''
  return `"${value.includes('"') ? value.replace(QUOTE, '""') : value}"`
}

/** A text[] literal (elements quoted, backslash and quote escaped), as one COPY CSV field. */
export function copyCsvTextArray(items: readonly string[]): string {
  return copyCsvText(`{${items.map((s) => `"${s.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`).join(',')}}`)
}

/** A float8[] literal of a[from..to), quoted as one COPY CSV field (its commas would split it). */
export function copyCsvNumberArray(a: ArrayLike<number>, from: number, to: number): string {
  let out = '"{'
  for (let i = from; i < to; i++) out += (i > from ? ',' : '') + String(a[i])
  return `${out}}"`
}

const SIMPLE: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' }
const isOctal = (c: string | undefined) => c !== undefined && c >= '0' && c <= '7'
const isHex = (c: string | undefined) => c !== undefined && /^[0-9a-fA-F]$/.test(c)
const utf8 = new TextDecoder()

/**
 * One field of COPY … TO STDOUT (FORMAT text), by PostgreSQL's rules: `\N` alone is NULL; `\b \f
 * \n \r \t \v`; `\` + 1-3 octal digits and `\x` + 1-2 hex digits are bytes of the (UTF-8) text;
 * a backslash before any other character stands for that character (`\\` is a backslash).
 */
export function decodeCopyText(field: string): string | null {
  if (field === '\\N') return null
  if (!field.includes('\\')) return field
  let out = ''
  let bytes: number[] = []
  const flush = () => {
    if (bytes.length > 0) out += utf8.decode(Uint8Array.from(bytes))
    bytes = []
  }
  for (let i = 0; i < field.length; i++) {
    const c = field[i]!
    if (c !== '\\' || i + 1 === field.length) {
      flush()
      out += c
      continue
    }
    const n = field[i + 1]!
    if (isOctal(n)) {
      let j = i + 1
      while (j < field.length && j < i + 4 && isOctal(field[j])) j++
      bytes.push(parseInt(field.slice(i + 1, j), 8) & 0xff)
      i = j - 1
    } else if (n === 'x' && isHex(field[i + 2])) {
      const j = isHex(field[i + 3]) ? i + 4 : i + 3
      bytes.push(parseInt(field.slice(i + 2, j), 16))
      i = j - 1
    } else {
      flush()
      out += SIMPLE[n] ?? n
      i++
    }
  }
  flush()
  return out
}

/** A text field that cannot be NULL (a NOT NULL column): `\N` would be a bug upstream. */
export function decodeCopyString(field: string): string {
  return decodeCopyText(field) ?? ''
}

/**
 * COPY TEXT output as lines, a chunk's complete lines at a time (a row per line: COPY escapes
 * newlines inside fields). Arrays rather than one line per `yield`: an async step per row costs
 * more than parsing it.
 */
export async function* copyLines(chunks: AsyncIterable<Uint8Array>): AsyncIterable<string[]> {
  const decoder = new TextDecoder()
  let rest = ''
  for await (const chunk of chunks) {
    const text = rest + decoder.decode(chunk, { stream: true })
    const lines: string[] = []
    let start = 0
    let nl: number
    while ((nl = text.indexOf('\n', start)) >= 0) {
      lines.push(text.slice(start, nl))
      start = nl + 1
    }
    rest = text.slice(start)
    if (lines.length > 0) yield lines
  }
  rest += decoder.decode()
  if (rest.length > 0) yield [rest]
}

// CSV for spreadsheets. Text cells that a spreadsheet would read as a formula (starting with
// = + - @, a tab or a carriage return) are prefixed with a quote (OWASP's CSV injection advice);
// numbers we format ourselves are written as numbers.
const FORMULA = /^[=+\-@\t\r]/

export function csvCell(value: string | number | boolean | null): string {
  if (value === null) return ''
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : ''
  if (typeof value === 'boolean') return value ? 'true' : 'false'
  const safe = FORMULA.test(value) ? `'${value}` : value
  return /[",\n\r]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe
}

export function csvRow(cells: (string | number | boolean | null)[]): string {
  return `${cells.map(csvCell).join(',')}\r\n`
}
