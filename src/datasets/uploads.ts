// The upload service behind POST /datasets: each upload is read in an ingest thread of its own
// (encode-thread.ts) into the store's COPY, and a new dataset's features are built right after,
// in the background and in a thread too, so the first training or drift report on it does not
// have to re-read its transactions and the pass's garbage stays out of the API's heap.
import type { Readable } from 'node:stream'
import type { FastifyBaseLogger } from 'fastify'
import type { Database } from '../db/database.ts'
import type { ReadingOptions } from '../ingest/reading.ts'
import type { UploadHints } from '../ingest/upload.ts'
import { UploadThreads } from './encode-thread.ts'
import { storeDatasetFeatures, type FeatureBuilder } from './features-store.ts'
import { countGuestRows, transactionsSelect } from './read.ts'
import { storeUpload, type StoreResult } from './store.ts'

export interface UploadLimits {
  /** Raw bytes accepted (MAX_UPLOAD_BYTES). */
  maxBytes: number
  /** Inflated bytes accepted (MAX_INFLATED_BYTES). */
  maxInflatedBytes: number
}

/** One upload: its bytes, what the request says they are, and the client's options. */
export interface Upload {
  source: Readable
  hints: Pick<UploadHints, 'contentType' | 'contentEncoding'>
  reading: ReadingOptions
  name?: string
}

export class DatasetUploads {
  private readonly threads = new UploadThreads()
  /** Feature builds still running (awaited on shutdown). */
  private readonly building = new Set<Promise<unknown>>()
  private readonly inThread: FeatureBuilder = async (db, ids) => this.threads.buildFeatures(db.copyOut(transactionsSelect(ids)), await countGuestRows(db, ids))

  private readonly db: Database
  private readonly limits: UploadLimits
  private readonly log: FastifyBaseLogger

  constructor(db: Database, limits: UploadLimits, log: FastifyBaseLogger) {
    this.db = db
    this.limits = limits
    this.log = log
  }

  /** Stores the upload as a dataset (or finds the one with the same bytes); a new one gets its features built in the background. */
  async upload(u: Upload): Promise<StoreResult> {
    const hints: UploadHints = { ...u.hints, ...this.limits, reading: u.reading }
    const stored = await storeUpload(this.db, (id) => this.threads.encode(u.source, hints, id), u.name)
    if (stored.created) this.buildFeaturesSoon(stored.dataset.id)
    return stored
  }

  /** Waits for the feature builds still running (a failed one only logged a warning). */
  async drain(): Promise<void> {
    await Promise.allSettled(this.building)
  }

  /** Ends the ingest threads. */
  async close(): Promise<void> {
    await this.threads.close()
  }

  private buildFeaturesSoon(id: string): void {
    const p: Promise<unknown> = storeDatasetFeatures(this.db, id, this.inThread)
      .catch((err: unknown) => this.log.warn({ err, dataset: id }, 'could not build the dataset\'s features; training will build them'))
      .finally(() => this.building.delete(p))
    this.building.add(p)
  }
}
