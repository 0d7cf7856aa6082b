// Where quoted fields, lines and records end in CSV text, by papaparse's reading of quotes: a
// quote opens a quoted field only at the start of a field, "" inside one is a literal quote, and
// spaces may stand between a closing quote and the delimiter. Used by csv.ts's record splitter.

/**
 * The quote that closes the quoted field opened at `q`, or -1 when it does not close within the
 * input: a quote not doubled and followed (after spaces) by the delimiter, a line end or the end.
 */
export function closingQuote(input: string, q: number, delim: number, nlCode: number): number {
  for (let j = q + 1; ;) {
    const c = input.indexOf('"', j)
    if (c === -1) return -1
    if (input.charCodeAt(c + 1) === 34) {
      j = c + 2
      continue
    }
    // papaparse allows spaces between a closing quote and the delimiter.
    let k = c + 1
    while (input.charCodeAt(k) !== delim && (input.charCodeAt(k) === 32 || input.charCodeAt(k) === 9)) k++
    const next = k < input.length ? input.charCodeAt(k) : -1
    if (next === -1 || next === delim || next === nlCode || next === 13) return c
    j = c + 1
  }
}

/**
 * Where the record starting at `at` ends (after its line break, or the input's end), reading
 * quotes as papaparse does; -1 when a quoted field in it is not closed within the input.
 */
export function recordEnd(input: string, at: number, nl: string, delim: number): number {
  let i = at
  for (;;) {
    const q = input.indexOf('"', i)
    const n = input.indexOf(nl, i)
    if (n !== -1 && (q === -1 || n < q)) return n + 1
    if (q === -1) return input.length
    if (q !== at && input.charCodeAt(q - 1) !== delim) {
      i = q + 1
      continue
    }
    let j = q + 1
    for (;;) {
      const c = input.indexOf('"', j)
      if (c === -1) return -1
      if (input.charCodeAt(c + 1) === 34) {
        j = c + 2
        continue
      }
      i = c + 1
      break
    }
  }
}

/** The offset after the line break that ends the line at `at` (the input's end without one). */
export function lineEnd(input: string, at: number, nl: string): number {
  const i = input.indexOf(nl, at)
  return i === -1 ? input.length : i + 1
}

/** Occurrences of `needle` in `text` before `end`. */
export function countOf(text: string, needle: string, end: number): number {
  let n = 0
  for (let i = text.indexOf(needle); i !== -1 && i < end; i = text.indexOf(needle, i + 1)) n++
  return n
}

/** Line breaks inside a parsed row's fields (quoted line breaks). */
export function lineBreaksIn(row: readonly string[], newline: string): number {
  let n = 0
  for (const field of row) if (field.includes(newline)) n += countOf(field, newline, field.length)
  return n
}
