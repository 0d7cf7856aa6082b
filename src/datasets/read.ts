// Reads stored transactions back for training, in the order the pipeline consumes them: grouped
// by customer, in file order within a customer (datasets in the order given). Rows arrive as
// COPY text and are parsed in batches, so no result set of row objects is ever materialised.
import type { Database } from '../db/database.ts'
import type { Transaction } from '../pipeline/types.ts'
import { copyLines, decodeCopyString, decodeCopyText } from '../codec/csv.ts'
import { isDatasetId } from './partitions.ts'

const BATCH = 8192

const text = decodeCopyText
const str = decodeCopyString

/** Parses one COPY text line of the SELECT below. */
function parseLine(line: string): Transaction {
  const f = line.split('\t')
  return {
    invoiceNo: str(f[0] as string),
    stockCode: str(f[1] as string),
    description: text(f[2] as string),
    quantity: Number(f[3]),
    invoiceDate: Number(f[4]) * 1000,
    unitPrice: Number(f[5]),
    customerId: text(f[6] as string),
    country: text(f[7] as string),
  }
}

function idArray(datasetIds: readonly string[]): string {
  for (const id of datasetIds) if (!isDatasetId(id)) throw new Error(`not a dataset id: ${id}`)
  return `ARRAY[${datasetIds.map((id) => `'${id}'::uuid`).join(',')}]`
}

/**
 * Rows with a customer id, grouped by customer. Byte-order collation ("C") lets Postgres sort in
 * parallel and skip locale rules: 1.0 s instead of 1.8 s on the full file; leaving out guest rows
 * (a quarter of them, removed by cleaning rule 1 anyway) brings it to 0.75 s.
 */
export function transactionsSelect(datasetIds: readonly string[], fromDay?: number): string {
  const ids = idArray(datasetIds)
  return `SELECT invoice_no, stock_code, description, quantity, extract(epoch FROM invoice_date)::bigint, unit_price, customer_id, country
    FROM transactions WHERE dataset_id = ANY(${ids}) AND customer_id IS NOT NULL${since(fromDay)}
    ORDER BY customer_id COLLATE "C", array_position(${ids}, dataset_id), sheet, line`
}

/** Every row of one dataset (guests too) in file order: what its upload's aggregate builder saw. */
export function fileOrderSelect(datasetId: string): string {
  return `SELECT invoice_no, stock_code, description, quantity, extract(epoch FROM invoice_date)::bigint, unit_price, customer_id, country
    FROM transactions WHERE dataset_id = ANY(${idArray([datasetId])}) ORDER BY sheet, line`
}

/** How many rows of the datasets (from `fromDay` on) have no customer id (guest checkouts): cleaning rule 1 counts them. */
export async function countGuestRows(db: Database, datasetIds: readonly string[], fromDay?: number): Promise<number> {
  const rows = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM transactions WHERE dataset_id = ANY(${idArray(datasetIds)}) AND customer_id IS NULL${since(fromDay)}`)
  return rows[0]?.n ?? 0
}

/**
 * The transactions with a customer id of the given datasets as batches, grouped by customer;
 * with `fromDay` (a day number) only those invoiced that day or later (a rolling window).
 */
export function readTransactions(db: Database, datasetIds: readonly string[], fromDay?: number): AsyncIterable<Transaction[]> {
  return parseCopyRows(db.copyOut(transactionsSelect(datasetIds, fromDay)))
}

/** The SQL condition of a window's first day (invoice dates are UTC wall-clock timestamps). */
function since(fromDay: number | undefined): string {
  if (fromDay === undefined) return ''
  if (!Number.isInteger(fromDay)) throw new Error(`not a day number: ${fromDay}`)
  return ` AND invoice_date >= '${new Date(fromDay * 86_400_000).toISOString().slice(0, 10)}'::timestamp`
}

/** The COPY text of `transactionsSelect` as batches of transactions. */
export async function* parseCopyRows(chunks: AsyncIterable<Uint8Array>): AsyncIterable<Transaction[]> {
  let batch: Transaction[] = []
  for await (const lines of copyLines(chunks)) {
    for (const line of lines) {
      batch.push(parseLine(line))
      if (batch.length === BATCH) {
        yield batch
        batch = []
      }
    }
  }
  if (batch.length > 0) yield batch
}
