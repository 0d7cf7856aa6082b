// Whether one CSV record, read on its own, looks like a transaction: used by quote recovery
// (csv.ts) to tell a stray quote from a quoted line break, never to accept or reject a row.
// Pure: it leaves the file's date and decimal decisions alone (the row is judged under every
// reading the file could still take), so it can run ahead of the rows being read.
import type { Columns } from './headers.ts'
import { cleanCode, parseDecimal, parseInteger, readDateText } from './values.ts'

const dateUnderSomeReading = (s: string) => !Number.isNaN(readDateText(s, false, true)) || !Number.isNaN(readDateText(s, true, true))

const priceUnderSomeMark = (s: string) => !Number.isNaN(parseDecimal(s)) || (!s.includes('.') && !Number.isNaN(parseDecimal(s.replace(',', '.'))))

/**
 * A record whose invoice and stock code are there and whose quantity, date and price parse.
 * A legitimate quoted line break splits a field, so the text after it is rarely such a record:
 * it starts mid-field and its columns are shifted.
 */
export function plausibleRecord(row: readonly string[], cols: Columns): boolean {
  return cleanCode(row[cols.invoiceNo] ?? '') !== null &&
    cleanCode(row[cols.stockCode] ?? '') !== null &&
    !Number.isNaN(parseInteger(row[cols.quantity] ?? '')) &&
    dateUnderSomeReading(row[cols.invoiceDate] ?? '') &&
    priceUnderSomeMark(row[cols.unitPrice] ?? '')
}
