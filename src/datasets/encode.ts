// An upload as the store needs it: the accepted rows as COPY CSV chunks for one dataset, and,
// once they are all out, the reader's result, the dataset's summary and the rejected lines.
// Runs wherever the reader runs: in the upload thread (encode-thread.ts) for the service.
//
// The refusal threshold is applied here, at the end of the file, so it sees every row: more than
// `maxRejectedShare` of the rows rejected (default 1 %, applied exactly: 1 bad row of 5 refuses)
// refuses the upload with 422, the rejections grouped by reason with counts and first lines.
// Many rows failing the same way is a format problem, not bad rows. A file whose every row is
// rejected is left to the store's own 422 ('No valid rows'), which names the first reasons.
import { HttpProblem } from '../errors.ts'
import { DEFAULT_MAX_REJECTED_SHARE } from '../ingest/reading.ts'
import type { ReadingResult, Rejection, UploadReader, UploadResult } from '../ingest/upload.ts'
import { createSummary, type UploadSummary } from '../ingest/summary.ts'
import type { Transaction } from '../pipeline/types.ts'
import { createRowEncoder } from './copy-csv.ts'

/** Rejected lines kept on the dataset (the count covers all of them). */
export const MAX_REJECTIONS_KEPT = 100
/** Reason groups kept for a refusal, and first lines shown per group. */
const MAX_GROUPS = 50
const FIRST_LINES = 5

/** A rejection as the dataset shows it: `line` for CSV, `{sheet, row}` for a workbook. */
export interface RejectionView {
  line?: number
  sheet?: string
  row?: number
  reason: string
}

export interface SheetCounts {
  index: number
  name: string
  rows: { read: number; accepted: number; rejected: number }
}

export interface EncodedTotals {
  upload: UploadResult
  summary: UploadSummary
  rejected: number
  /** The first MAX_REJECTIONS_KEPT rejected lines. */
  rejections: RejectionView[]
  /** Per-sheet counts (xlsx; empty for CSV). */
  sheets: SheetCounts[]
  reading: ReadingResult
  /** The dataset's aggregates (src/aggregates/codec.ts), when the upload pass built them. */
  aggregates?: Uint8Array
}

export interface EncodedUpload {
  /** COPY CSV of the accepted rows, one chunk per batch; can be iterated once. */
  csv: AsyncIterable<string | Uint8Array>
  /** Valid once `csv` is exhausted. */
  totals(): EncodedTotals
  /** Whether the chunks carry the sheet column (SHEET_TRANSACTION_COLUMNS): known with the first chunk. */
  keyed(): boolean
  /** Stops early (the consumer failed); a no-op once `csv` is exhausted. */
  close(): Promise<void>
}

/** A reason without its quoted value: the group it belongs to. */
export const reasonGroup = (reason: string) => reason.replace(/"(?:[^"\\]|\\.)*"/g, '"…"')

export interface EncodeOptions {
  maxRejectedShare?: number
  /** Sees every accepted batch, in file order (the upload thread's aggregate builder). */
  onRows?: (rows: readonly Transaction[]) => void
}

export function encodeUpload(reader: UploadReader, datasetId: string, options: EncodeOptions = {}): EncodedUpload {
  const summary = createSummary()
  const rejections: RejectionView[] = []
  const groups = new Map<string, { count: number; first: string[] }>()
  const sheets = new Map<number, SheetCounts>()
  let rejected = 0
  let keyed = false
  let totals: EncodedTotals | null = null
  const encode = createRowEncoder(datasetId)
  const batches = reader.batches[Symbol.asyncIterator]()

  const where = (r: Rejection, sheetName: string | undefined): RejectionView =>
    sheetName === undefined ? { line: r.line, reason: r.reason } : { sheet: sheetName, row: r.line, reason: r.reason }

  async function* csv(): AsyncGenerator<string> {
    for (let next = await batches.next(); !next.done; next = await batches.next()) {
      const batch = next.value
      summary.add(batch.rows)
      options.onRows?.(batch.rows)
      rejected += batch.rejections.length
      const sheet = batch.sheet ?? 0
      if (batch.sheet !== undefined) keyed = true
      if (sheet > 0) {
        let counts = sheets.get(sheet)
        if (!counts) sheets.set(sheet, (counts = { index: sheet, name: batch.sheetName ?? String(sheet), rows: { read: 0, accepted: 0, rejected: 0 } }))
        counts.rows.read += batch.rows.length + batch.rejections.length
        counts.rows.accepted += batch.rows.length
        counts.rows.rejected += batch.rejections.length
      }
      for (const r of batch.rejections) {
        if (rejections.length < MAX_REJECTIONS_KEPT) rejections.push(where(r, sheet > 0 ? batch.sheetName : undefined))
        const key = reasonGroup(r.reason)
        let g = groups.get(key)
        if (!g && groups.size < MAX_GROUPS) groups.set(key, (g = { count: 0, first: [] }))
        if (g) {
          g.count++
          if (g.first.length < FIRST_LINES) g.first.push(sheet > 0 ? `sheet "${batch.sheetName}" row ${r.line}` : `line ${r.line}`)
        }
      }
      if (batch.rows.length > 0) yield encode(batch.rows, keyed ? sheet : undefined)
    }
    const upload = reader.result()
    const read = upload.rows.read
    const share = options.maxRejectedShare ?? DEFAULT_MAX_REJECTED_SHARE
    if (rejected > 0 && rejected > share * read && rejected < read) {
      const sorted = [...groups].sort((a, b) => b[1].count - a[1].count)
      throw new HttpProblem(422, 'Too many rejected rows',
        `${rejected} of ${read} rows (${(100 * rejected / read).toFixed(1)} %) could not be read, more than the ${+(share * 100).toFixed(2)} % allowed ` +
          `(?maxRejectedShare=${share}); nothing was stored. So many rows failing the same way is usually a format problem: the reasons, by count, are in errors`,
        sorted.map(([reason, g]) => ({ path: reason, message: `${g.count} rows; first: ${g.first.join(', ')}` })))
    }
    const s = summary.result()
    const reading = reader.reading()
    const range = reading.swappedRange
    if (range) {
      s.dateFrom = range[0]
      s.dateTo = range[1]
    }
    totals = { upload, summary: s, rejected, rejections, sheets: [...sheets.values()], reading }
  }

  return {
    csv: { [Symbol.asyncIterator]: csv },
    totals() {
      if (!totals) throw new Error('EncodedUpload.totals() is only valid after csv has been read to the end')
      return totals
    },
    keyed: () => keyed,
    async close() {
      await batches.return?.(undefined)
    },
  }
}
