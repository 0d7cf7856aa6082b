// The dataset store: an upload becomes a dataset row plus its transaction rows in ONE database
// transaction, so a failed or killed upload leaves nothing behind and a reader never sees a
// half-loaded dataset. Uploads are deduplicated by the sha256 of their bytes.
import { randomUUID } from 'node:crypto'
import type { Database, SqlTx } from '../db/database.ts'
import type { ParkedRun } from '../ingest/reading.ts'
import { HttpProblem } from '../errors.ts'
import { SHEET_TRANSACTION_COLUMNS, TRANSACTION_COLUMNS } from './copy-csv.ts'
import { attachPartition, createPartition, dropPartition, isDatasetId } from './partitions.ts'
import type { EncodedUpload, RejectionView, SheetCounts } from './encode.ts'
import type { Dataset as DatasetRow } from '../generated/prisma/client.ts'

export interface DatasetView {
  id: string
  name: string
  sha256: string
  format: string
  status: 'ready'
  bytes: number
  rows: { read: number; accepted: number; rejected: number }
  rejections: RejectionView[]
  /** The date format used (most rows), e.g. `DD/MM/YYYY HH:mm`; null with no dates. */
  dateFormat: string | null
  decimal: '.' | ','
  /** Workbooks: the sheets read, with their counts, and those skipped with why. */
  sheets?: SheetCounts[]
  skippedSheets?: { index: number; name: string; reason: string }[]
  customers: number
  invoices: number
  countries: number
  dateRange: { from: string | null; to: string | null }
  createdAt: string
  /** GET /datasets/{id}: whether the dataset's aggregates are stored. */
  aggregates?: 'ready' | 'building'
}

const localTime = (d: Date | null) => (d === null ? null : d.toISOString().slice(0, 19))

interface StoredReading {
  dateFormat?: string | null
  decimal?: '.' | ','
  sheets?: SheetCounts[]
  skippedSheets?: { index: number; name: string; reason: string }[]
}

export function toView(row: DatasetRow): DatasetView {
  const reading = (row.reading ?? {}) as StoredReading
  return {
    id: row.id,
    name: row.name,
    sha256: row.sha256,
    format: row.format,
    status: 'ready',
    bytes: Number(row.bytes),
    rows: { read: row.rowsRead, accepted: row.rowsAccepted, rejected: row.rowsRejected },
    rejections: row.rejections as unknown as DatasetView['rejections'],
    dateFormat: reading.dateFormat ?? null,
    decimal: reading.decimal ?? '.',
    ...(reading.sheets ? { sheets: reading.sheets, skippedSheets: reading.skippedSheets ?? [] } : {}),
    customers: row.customers,
    invoices: row.invoices,
    countries: row.countries,
    dateRange: { from: localTime(row.dateFrom), to: localTime(row.dateTo) },
    createdAt: row.createdAt.toISOString(),
  }
}

class AlreadyStored extends Error {
  readonly id: string
  constructor(id: string) {
    super('already stored')
    this.id = id
  }
}

function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: string }).code === '23505'
}

export interface StoreResult {
  dataset: DatasetView
  created: boolean
}

/**
 * Stores an upload as a new dataset, or finds the dataset with the same bytes. `open` starts
 * reading and encoding the upload for the dataset id it is given (UploadThreads.encode, or
 * encodeUpload in the same thread).
 */
export async function storeUpload(db: Database, open: (datasetId: string) => EncodedUpload, name: string | undefined): Promise<StoreResult> {
  const id = randomUUID()
  // Started before the transaction, so the thread loads while the placeholder row goes in.
  const encoded = open(id)
  let sha256: string | undefined
  try {
    await db.transaction(async (tx) => {
      // The rows reference the dataset, so its row comes first; its sha256 is only known at the end.
      await tx.query(
        `INSERT INTO datasets (id, name, sha256, format, bytes, rows_read, rows_accepted, rows_rejected, rejections, customers, invoices, countries)
         VALUES ($1, $2, $3, '', 0, 0, 0, 0, '[]', 0, 0, 0)`,
        [id, name ?? 'upload', `pending:${id}`],
      )
      // The columns depend on the file (a workbook's rows carry their sheet): known with the first chunk.
      const chunks = encoded.csv[Symbol.asyncIterator]()
      const first = await chunks.next()
      async function* all(): AsyncGenerator<string | Uint8Array> {
        if (first.done) return
        yield first.value
        for (let next = await chunks.next(); !next.done; next = await chunks.next()) yield next.value
      }
      // Into the dataset's own table, attached as its partition at the end (src/datasets/partitions.ts).
      const table = await createPartition(tx, id)
      await tx.copyCsv(table, encoded.keyed() ? SHEET_TRANSACTION_COLUMNS : TRANSACTION_COLUMNS, all())

      const { upload, summary: s, rejected, rejections, sheets, reading, aggregates } = encoded.totals()
      sha256 = upload.sha256
      if (s.rowsAccepted === 0) {
        throw new HttpProblem(422, 'No valid rows', `none of the ${rejected} data rows could be read; the first reasons are listed in errors`,
          rejections.slice(0, 20).map((r) => ({ path: r.line !== undefined ? `line ${r.line}` : `sheet "${r.sheet}" row ${r.row}`, message: r.reason })))
      }
      const existing = await tx.query<{ id: string }>('SELECT id FROM datasets WHERE sha256 = $1', [sha256])
      if (existing[0]) throw new AlreadyStored(existing[0].id)
      await swapParkedDates(tx, table, reading.swap)
      const stored: StoredReading = {
        dateFormat: reading.dateFormat,
        decimal: reading.decimal,
        ...(upload.format === 'xlsx'
          ? { sheets, skippedSheets: reading.sheets.filter((x) => x.skipped).map((x) => ({ index: x.index, name: x.name, reason: x.skipped as string })) }
          : {}),
      }
      await tx.query(
        `UPDATE datasets SET name = $2, sha256 = $3, format = $4, bytes = $5, rows_read = $6, rows_accepted = $7, rows_rejected = $8,
           rejections = $9, customers = $10, invoices = $11, countries = $12,
           date_from = to_timestamp($13::float8 / 1000) AT TIME ZONE 'UTC', date_to = to_timestamp($14::float8 / 1000) AT TIME ZONE 'UTC',
           reading = $15
         WHERE id = $1`,
        [id, name ?? `upload-${sha256.slice(0, 12)}`, sha256, upload.format, upload.bytes, s.rowsAccepted + rejected, s.rowsAccepted, rejected,
          JSON.stringify(rejections), s.customers, s.invoices, s.countries, s.dateFrom, s.dateTo, JSON.stringify(stored)],
      )
      // Rows whose dates were re-read day first were aggregated with their first reading: those
      // aggregates are left out (uploads.ts builds them from the stored rows after the commit).
      if (aggregates !== undefined && reading.swap.length === 0) {
        await tx.query('INSERT INTO dataset_aggregates (dataset_id, bytes) VALUES ($1, $2)', [id, Buffer.from(aggregates.buffer, aggregates.byteOffset, aggregates.byteLength)])
      }
      // Last: its lock on transactions is then held only for the commit.
      await attachPartition(tx, id)
    })
  } catch (err) {
    if (err instanceof AlreadyStored) return { dataset: await getDataset(db, err.id), created: false }
    if (isUniqueViolation(err) && sha256 !== undefined) {
      // Another upload of the same bytes committed while this one was loading.
      const other = await db.prisma.dataset.findUnique({ where: { sha256 } })
      if (other) return { dataset: toView(other), created: false }
    }
    throw err
  } finally {
    // The transaction may have failed before the COPY read the upload (database down).
    await encoded.close()
  }
  return { dataset: await getDataset(db, id), created: true }
}

/**
 * Swaps day and month of the rows read month first before the file proved day first
 * (src/ingest/reading.ts), in one statement: the partition has no index, so each statement is a
 * scan of it, and a file can leave several runs (rejected lines split them).
 */
async function swapParkedDates(tx: SqlTx, table: string, runs: readonly ParkedRun[]): Promise<void> {
  if (runs.length === 0) return
  await tx.query(
    `UPDATE "${table}" t SET invoice_date = make_timestamp(extract(year FROM invoice_date)::int, extract(day FROM invoice_date)::int,
       extract(month FROM invoice_date)::int, extract(hour FROM invoice_date)::int, extract(minute FROM invoice_date)::int, extract(second FROM invoice_date))
     WHERE EXISTS (SELECT 1 FROM unnest($1::int[], $2::int[], $3::int[]) AS r(sheet, lo, hi) WHERE t.sheet = r.sheet AND t.line BETWEEN r.lo AND r.hi)`,
    [runs.map((r) => r.sheet), runs.map((r) => r.from), runs.map((r) => r.to)],
  )
}

export async function getDataset(db: Database, id: string): Promise<DatasetView> {
  const row = isDatasetId(id) ? await db.prisma.dataset.findUnique({ where: { id } }) : null
  if (!row) throw new HttpProblem(404, 'Not Found', `dataset ${id} does not exist`)
  const built = await db.query('SELECT 1 FROM dataset_aggregates WHERE dataset_id = $1', [id])
  return { ...toView(row), aggregates: built.length > 0 ? 'ready' : 'building' }
}

export async function listDatasets(db: Database): Promise<DatasetView[]> {
  const rows = await db.prisma.dataset.findMany({ orderBy: { createdAt: 'desc' } })
  return rows.map(toView)
}

export async function deleteDataset(db: Database, id: string): Promise<void> {
  if (!isDatasetId(id)) throw new HttpProblem(404, 'Not Found', `dataset ${id} does not exist`)
  await db.transaction(async (tx) => {
    // No foreign key (see the schema): the rows go in the same transaction as their dataset, by
    // dropping its partition (milliseconds, where deleting the full file's rows took 0.8-1.5 s).
    const gone = await tx.query('DELETE FROM datasets WHERE id = $1 RETURNING id', [id])
    if (gone.length === 0) throw new HttpProblem(404, 'Not Found', `dataset ${id} does not exist`)
    await dropPartition(tx, id)
    await tx.query('DELETE FROM dataset_features WHERE dataset_id = $1', [id])
    await tx.query('DELETE FROM dataset_aggregates WHERE dataset_id = $1', [id])
  })
}
