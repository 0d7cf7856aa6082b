// Transaction rows as Postgres COPY CSV. Text is always quoted, so an empty string stays an empty
// string and an unquoted empty field means NULL.
import type { Line } from '../pipeline/types.ts'

export const TRANSACTION_COLUMNS = [
  'dataset_id', 'line', 'invoice_no', 'stock_code', 'description', 'quantity', 'invoice_date', 'unit_price', 'customer_id', 'country',
] as const

const QUOTE = /"/g

function text(value: string | null): string {
  if (value === null) return ''
  return `"${value.includes('"') ? value.replace(QUOTE, '""') : value}"`
}

/** `YYYY-MM-DD HH:MM:SS` of an epoch-ms wall-clock time (see Transaction.invoiceDate). */
export function wallClock(ms: number): string {
  const iso = new Date(ms).toISOString()
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}`
}

/** Encodes rows; consecutive rows of one invoice share a timestamp, so the last one is reused. */
export function createRowEncoder(datasetId: string): (rows: readonly Line[]) => string {
  let lastMs = NaN
  let lastDate = ''
  return (rows) => {
    let out = ''
    for (const r of rows) {
      if (r.invoiceDate !== lastMs) {
        lastMs = r.invoiceDate
        lastDate = wallClock(lastMs)
      }
      out += `${datasetId},${r.line},${text(r.invoiceNo)},${text(r.stockCode)},${text(r.description)},${r.quantity},${lastDate},${r.unitPrice},${text(r.customerId)},${text(r.country)}\n`
    }
    return out
  }
}
