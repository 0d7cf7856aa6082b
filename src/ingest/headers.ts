// Maps a header row onto the eight columns of a transaction. Both UCI variants are accepted
// ("Online Retail": InvoiceNo, UnitPrice, CustomerID; "Online Retail II": Invoice, Price,
// "Customer ID"); names are compared without case, spaces, underscores or a byte-order mark, so
// "customer_id" and " CustomerId " match too. Extra columns are ignored; all eight are required.
import type { FieldError } from '../errors.ts'
import { HttpProblem } from '../errors.ts'
import { missingColumns } from './problems.ts'

export type ColumnKey = 'invoiceNo' | 'stockCode' | 'description' | 'quantity' | 'invoiceDate' | 'unitPrice' | 'customerId' | 'country'

/** Index of each column in a row. */
export type Columns = Record<ColumnKey, number>

interface ColumnSpec {
  key: ColumnKey
  /** The UCI Online Retail spelling: the name reported when the column is missing. */
  name: string
  /** The Online Retail II spelling, when it differs. */
  variant?: string
}

export const COLUMN_SPECS: readonly ColumnSpec[] = [
  { key: 'invoiceNo', name: 'InvoiceNo', variant: 'Invoice' },
  { key: 'stockCode', name: 'StockCode' },
  { key: 'description', name: 'Description' },
  { key: 'quantity', name: 'Quantity' },
  { key: 'invoiceDate', name: 'InvoiceDate' },
  { key: 'unitPrice', name: 'UnitPrice', variant: 'Price' },
  { key: 'customerId', name: 'CustomerID', variant: 'Customer ID' },
  { key: 'country', name: 'Country' },
]

export function normalizeHeader(name: string): string {
  return name.replace(/^\uFEFF/, '').replace(/[\s_]+/g, '').toLowerCase()
}

const BY_NAME = new Map<string, ColumnSpec>(
  COLUMN_SPECS.flatMap((spec) => [spec.name, spec.variant ?? spec.name].map((n) => [normalizeHeader(n), spec] as const)),
)

/** The column indexes of a header row; 422 naming every missing (or doubled) column. */
export function resolveColumns(header: readonly string[]): Columns {
  const found = new Map<ColumnKey, number>()
  const doubled: FieldError[] = []
  header.forEach((raw, index) => {
    const spec = BY_NAME.get(normalizeHeader(raw))
    if (!spec) return
    const first = found.get(spec.key)
    if (first === undefined) found.set(spec.key, index)
    else doubled.push({ path: spec.name, message: `given twice: "${header[first]}" (column ${first + 1}) and "${raw}" (column ${index + 1})` })
  })
  const missing = COLUMN_SPECS.filter((spec) => !found.has(spec.key))
  if (missing.length > 0) {
    const names = missing.map((spec) => spec.name)
    const seen = header.filter((h) => h.trim() !== '').map((h) => `"${h.trim()}"`).slice(0, 20).join(', ')
    throw missingColumns(
      `missing required column${names.length > 1 ? 's' : ''}: ${names.join(', ')}. The header must name all eight columns ` +
        `(either UCI spelling, any case); found ${seen || 'no column names'}`,
      missing.map((spec) => ({
        path: spec.name,
        message: `required column is missing (accepted names: ${spec.variant ? `${spec.name} or ${spec.variant}` : spec.name})`,
      })),
    )
  }
  if (doubled.length > 0) {
    throw new HttpProblem(422, 'Duplicate columns', `columns given more than once: ${doubled.map((e) => e.path).join(', ')}`, doubled)
  }
  return Object.fromEntries(found) as Columns
}

