// Transaction rows as Postgres COPY CSV: the transactions table's columns and the row encoder
// (field escaping is `copyCsvText` of src/codec/csv.ts).
import type { Line } from '../pipeline/types.ts'
import { copyCsvText } from '../codec/csv.ts'

export const TRANSACTION_COLUMNS = [
  'dataset_id', 'line', 'invoice_no', 'stock_code', 'description', 'quantity', 'invoice_date', 'unit_price', 'customer_id', 'country',
] as const

/** The columns of a workbook's rows: the sheet too (CSV rows take its default, 0). */
export const SHEET_TRANSACTION_COLUMNS = ['dataset_id', 'sheet', ...TRANSACTION_COLUMNS.slice(1)] as const

const text = copyCsvText

/** `YYYY-MM-DD HH:MM:SS` of an epoch-ms wall-clock time (see Transaction.invoiceDate). */
export function wallClock(ms: number): string {
  const iso = new Date(ms).toISOString()
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}`
}

/** Encodes rows; consecutive rows of one invoice share a timestamp, so the last one is reused. */
export function createRowEncoder(datasetId: string): (rows: readonly Line[], sheet?: number) => string {
  let lastMs = NaN
  let lastDate = ''
  return (rows, sheet) => {
    // With a sheet, the columns are SHEET_TRANSACTION_COLUMNS.
    const key = sheet === undefined ? datasetId : `${datasetId},${sheet}`
    let out = ''
    for (const r of rows) {
      if (r.invoiceDate !== lastMs) {
        lastMs = r.invoiceDate
        lastDate = wallClock(lastMs)
      }
      out += `${key},${r.line},${text(r.invoiceNo)},${text(r.stockCode)},${text(r.description)},${r.quantity},${lastDate},${r.unitPrice},${text(r.customerId)},${text(r.country)}\n`
    }
    return out
  }
}
