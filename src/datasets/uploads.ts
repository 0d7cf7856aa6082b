// The upload service behind POST /datasets: each upload is read in an ingest thread of its own
// (encode-thread.ts) into the store's COPY, and the same pass builds the dataset's per-customer
// aggregates, which training and drift merge (src/training/aggregates.ts). A dataset whose
// aggregates the upload could not keep (its dates were re-read day first after its rows were
// aggregated) has them built from its stored rows right after, in the background and in a thread
// too, so the pass's garbage stays out of the API's heap.
import type { Readable } from 'node:stream'
import type { FastifyBaseLogger } from 'fastify'
import type { Database } from '../db/database.ts'
import type { ReadingOptions } from '../ingest/reading.ts'
import type { UploadHints } from '../ingest/upload.ts'
import { UploadThreads } from './encode-thread.ts'
import { fileOrderSelect } from './read.ts'
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
  /** Aggregate builds still running, by dataset (awaited on shutdown). */
  private readonly building = new Map<string, Promise<unknown>>()

  private readonly db: Database
  private readonly limits: UploadLimits
  private readonly log: FastifyBaseLogger

  constructor(db: Database, limits: UploadLimits, log: FastifyBaseLogger) {
    this.db = db
    this.limits = limits
    this.log = log
  }

  /**
   * Stores the upload as a dataset (or finds the one with the same bytes); a dataset without
   * aggregates (also one stored before they existed, uploaded again) gets them built in the background.
   */
  async upload(u: Upload): Promise<StoreResult> {
    const hints: UploadHints = { ...u.hints, ...this.limits, reading: u.reading }
    const stored = await storeUpload(this.db, (id) => this.threads.encode(u.source, hints, id), u.name)
    if (stored.dataset.aggregates !== 'ready' && !this.building.has(stored.dataset.id)) this.buildAggregatesSoon(stored.dataset.id)
    return stored
  }

  /** Waits for the aggregate builds still running (a failed one only logged a warning). */
  async drain(): Promise<void> {
    await Promise.allSettled(this.building.values())
  }

  /** Ends the ingest threads. */
  async close(): Promise<void> {
    await this.threads.close()
  }

  private buildAggregatesSoon(id: string): void {
    const p: Promise<unknown> = this.storeAggregates(id)
      .catch((err: unknown) => this.log.warn({ err, dataset: id }, 'could not build the dataset\'s aggregates; training will read its transactions'))
      .finally(() => this.building.delete(id))
    this.building.set(id, p)
  }

  private async storeAggregates(id: string): Promise<void> {
    const bytes = await this.threads.buildAggregates(this.db.copyOut(fileOrderSelect(id)))
    // Only while the dataset still exists: it may have been deleted while this ran.
    await this.db.query(
      'INSERT INTO dataset_aggregates (dataset_id, bytes) SELECT $1, $2 WHERE EXISTS (SELECT 1 FROM datasets WHERE id = $1) ON CONFLICT (dataset_id) DO NOTHING',
      [id, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)],
    )
  }
}
