// An upload as the store needs it: the accepted rows as COPY CSV chunks for one dataset, and,
// once they are all out, the reader's result, the dataset's summary and the rejected lines.
// Runs wherever the reader runs: in the upload thread (encode-thread.ts) for the service.
import type { Rejection, UploadReader, UploadResult } from '../ingest/upload.ts'
import { createSummary, type UploadSummary } from '../ingest/summary.ts'
import { createRowEncoder } from './copy-csv.ts'

/** Rejected lines kept on the dataset (the count covers all of them). */
export const MAX_REJECTIONS_KEPT = 100

export interface EncodedTotals {
  upload: UploadResult
  summary: UploadSummary
  rejected: number
  /** The first MAX_REJECTIONS_KEPT rejected lines. */
  rejections: Rejection[]
}

export interface EncodedUpload {
  /** COPY CSV of the accepted rows, one chunk per batch; can be iterated once. */
  csv: AsyncIterable<string | Uint8Array>
  /** Valid once `csv` is exhausted. */
  totals(): EncodedTotals
  /** Stops early (the consumer failed); a no-op once `csv` is exhausted. */
  close(): Promise<void>
}

export function encodeUpload(reader: UploadReader, datasetId: string): EncodedUpload {
  const summary = createSummary()
  const rejections: Rejection[] = []
  let rejected = 0
  let totals: EncodedTotals | null = null
  const encode = createRowEncoder(datasetId)
  const batches = reader.batches[Symbol.asyncIterator]()

  async function* csv(): AsyncGenerator<string> {
    for (let next = await batches.next(); !next.done; next = await batches.next()) {
      const batch = next.value
      summary.add(batch.rows)
      rejected += batch.rejections.length
      for (const r of batch.rejections) if (rejections.length < MAX_REJECTIONS_KEPT) rejections.push(r)
      if (batch.rows.length > 0) yield encode(batch.rows)
    }
    totals = { upload: reader.result(), summary: summary.result(), rejected, rejections }
  }

  return {
    csv: { [Symbol.asyncIterator]: csv },
    totals() {
      if (!totals) throw new Error('EncodedUpload.totals() is only valid after csv has been read to the end')
      return totals
    },
    async close() {
      await batches.return?.(undefined)
    },
  }
}
