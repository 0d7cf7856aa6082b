// The upload reader: a raw body stream → batches of transaction lines, streaming, with flat memory
// whatever the size.
//
//   import { readUpload } from './ingest/upload.ts'
//   const reader = readUpload(body, { contentType, contentEncoding, maxBytes, maxInflatedBytes })
//   for await (const { rows, rejections } of reader.batches) { ... }   // ~500 rows each
//   const { sha256, bytes, format, rows } = reader.result()            // after the last batch
//
// - `batches` can be iterated once. It throws an HttpProblem (src/errors.ts) for input that
//   cannot be read: 400 empty upload; 413 over maxBytes, or inflating past maxInflatedBytes, past
//   200:1, or (xlsx) expanding shared strings past those limits; 415 not CSV/gzip/xlsx (binary,
//   JSON, legacy .xls, UTF-16); 422 missing columns (errors[].path = each missing column's UCI
//   name), no data rows, truncated/corrupt gzip or zip, a zip that is not a workbook, headers
//   that contradict the bytes ("says gzip but is not"). Any other error is a bug (500).
// - Rows that cannot be read are not errors: they come back in `rejections` as {line, reason},
//   line being the 1-based line of the file where the record starts (header = 1), or for xlsx
//   the sheet row number. Blank lines are skipped and not counted.
// - On failure the reader stops reading `raw` but does not destroy it: the caller decides what
//   happens to the rest of the request (e.g. respond and close the connection).
//
// Format: sniffed from the first bytes (1f 8b gzip → CSV inside; PK\x03\x04 → xlsx; otherwise
// CSV text); Content-Type/Content-Encoding are hints checked for contradictions (sniff.ts).
// Values: see values.ts and record.ts (integers for quantity, dot decimals for prices, three date
// styles plus Excel serials, codes kept as strings, "17850.0" → "17850"). Text: UTF-8, with
// lines that are not UTF-8 read as windows-1252 (text.ts).
import type { Readable } from 'node:stream'
import { csvBatches } from './csv.ts'
import { gunzip } from './gzip.ts'
import { ByteMeter, InflationLimit, peek } from './meter.ts'
import { MiB } from './problems.ts'
import type { RowBatch } from './record.ts'
import { checkText, refuseJson, sniffContainer } from './sniff.ts'
import { ZipGuard } from './zipguard.ts'
import { Reading, type ParkedRun, type ReadingOptions } from './reading.ts'
import type { SheetInfo } from './xlsx.ts'

export type { Rejection, RowBatch } from './record.ts'

export type UploadFormat = 'csv' | 'csv.gz' | 'xlsx'

export interface UploadHints {
  contentType?: string
  contentEncoding?: string
  /** Raw bytes accepted (413 beyond). */
  maxBytes: number
  /** Inflated bytes accepted: gzip output, or the sum of an xlsx's zip entries (413 beyond). */
  maxInflatedBytes: number
  /** Inflated size of an xlsx's shared strings, held in memory while it is read. Default 64 MiB. */
  maxSharedStringsBytes?: number
  /** Rows (accepted + rejected) per batch. Default 500 (DEFAULT_BATCH_SIZE). */
  batchSize?: number
  /** The client's reading options (reading.ts). */
  reading?: ReadingOptions
}

/** How the file was read: the per-file decisions, for the answer and the store. */
export interface ReadingResult {
  /** The date format of most rows, e.g. `DD/MM/YYYY HH:mm`; null with no dates read. */
  dateFormat: string | null
  decimal: '.' | ','
  /** Rows stored month first before the file proved day first: the store swaps them. */
  swap: ParkedRun[]
  /** The true date range [from, to] (epoch ms) when `swap` is not empty. */
  swappedRange: [number, number] | null
  /** Worksheets (xlsx): each read or skipped. */
  sheets: SheetInfo[]
}

export interface UploadResult {
  /** Hex sha256 of the raw bytes as received (before any gunzip). */
  sha256: string
  bytes: number
  format: UploadFormat
  rows: { read: number; accepted: number; rejected: number }
}

export interface UploadReader {
  batches: AsyncIterable<RowBatch>
  /** Valid once `batches` is exhausted; throws before. */
  result(): UploadResult
  /** How the file was read; valid once `batches` is exhausted. */
  reading(): ReadingResult
}

/**
 * Rows per batch. A batch's rows and its COPY text are alive until the batch is through, so they
 * survive the ingest thread's scavenges and are promoted: with 5,000 the garbage collector took
 * 42 % of the pass. 500 made the full file's upload 25-30 % faster (8.3-9.5 → 6.0-6.4 s) and the
 * x10 file's 84 → 56 s, at the same peak RSS (docs/benchmarks.md, "Scaling out").
 */
export const DEFAULT_BATCH_SIZE = 500
export const DEFAULT_MAX_SHARED_STRINGS = 64 * MiB
/** How much of the body is looked at to decide what it is. */
const SNIFF_BYTES = 4096

export function readUpload(raw: Readable, hints: UploadHints): UploadReader {
  const meter = new ByteMeter(hints.maxBytes)
  const batchSize = hints.batchSize ?? DEFAULT_BATCH_SIZE
  let format: UploadFormat | null = null
  let result: UploadResult | null = null
  let readingResult: ReadingResult | null = null
  let started = false
  const reading = new Reading(hints.reading)
  const sheets: SheetInfo[] = []

  async function* batches(): AsyncGenerator<RowBatch> {
    if (started) throw new Error('UploadReader.batches can be iterated only once')
    started = true
    refuseJson(hints)
    // destroyOnReturn: false, so stopping early leaves `raw` to the caller (see above).
    const body = await peek(meter.measure(raw.iterator({ destroyOnReturn: false })), SNIFF_BYTES)
    let source: AsyncGenerator<RowBatch>
    try {
      switch (sniffContainer(body.head, hints)) {
        case 'gzip': {
          format = 'csv.gz'
          const limit = new InflationLimit('the gzip stream', hints.maxInflatedBytes)
          const text = await peek(gunzip(body.all, limit), SNIFF_BYTES)
          try {
            checkText(text.head, ' inside the gzip stream')
          } catch (err) {
            await text.close()
            throw err
          }
          source = csvBatches(text.all, batchSize, reading)
          break
        }
        case 'zip': {
          format = 'xlsx'
          // exceljs is loaded on the first workbook only: CSV uploads never pay for it.
          const { xlsxBatches } = await import('./xlsx.ts')
          const guard = new ZipGuard({ maxInflated: hints.maxInflatedBytes, maxSharedStrings: hints.maxSharedStringsBytes ?? DEFAULT_MAX_SHARED_STRINGS })
          source = xlsxBatches(guard.run(body.all), guard, { batchSize, maxExpanded: hints.maxInflatedBytes, rawBytes: () => meter.bytes, reading, sheets })
          break
        }
        default:
          format = 'csv'
          checkText(body.head)
          source = csvBatches(body.all, batchSize, reading)
      }
    } catch (err) {
      await body.close()
      throw err
    }
    let accepted = 0
    let rejected = 0
    for await (const batch of source) {
      accepted += batch.rows.length
      rejected += batch.rejections.length
      yield batch
    }
    const dates = reading.dates
    readingResult = { dateFormat: dates.used, decimal: reading.decimal.mark ?? '.', swap: dates.swap ? dates.parked : [], swappedRange: reading.swappedRange(), sheets }
    result = { sha256: meter.digest(), bytes: meter.bytes, format, rows: { read: accepted + rejected, accepted, rejected } }
  }

  return {
    batches: { [Symbol.asyncIterator]: batches },
    result() {
      if (!result) throw new Error('UploadReader.result() is only valid after batches has been read to the end')
      return result
    },
    reading() {
      if (!readingResult) throw new Error('UploadReader.reading() is only valid after batches has been read to the end')
      return readingResult
    },
  }
}
