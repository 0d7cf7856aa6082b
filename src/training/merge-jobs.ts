// A merge-range job (queue MERGE_QUEUE, src/jobs/boss.ts): one customer-hash range of a training's
// merge, run by whichever process claims it (the merge's coordinator, merge-fan-out.ts, or any
// standalone worker process, src/jobs/worker.ts). It loads the datasets' stored aggregates, merges
// the range (merge-range.ts, the same code as the in-process loop) and stores the MergedPart in
// merge_parts, where the coordinator reads it. A retried job overwrites its row.
import v8 from 'node:v8'
import type { DayWindow, HashRange, MergedPart } from '../aggregates/index.ts'
import type { Database } from '../db/database.ts'
import { loadAggregates, mergeRange } from './merge-range.ts'

/** The data of a merge-range job (JSON: no undefined, hash bounds are safe integers). */
export interface RangeJob {
  /** The coordinator's batch (one merge): its parts are merge_parts rows of this uuid. */
  batch: string
  /** The range's place in the batch's `splitRange(K)`: the part's row. */
  index: number
  datasetIds: string[]
  window: DayWindow
  range: HashRange
}

// The last datasets' stored aggregates, so the K jobs of a batch (and the next merges of the same
// training: the windowed ones) do not each read the ~80 MB of the three x10 datasets again. A
// dataset's aggregates are written once and never changed, so its ids are the key. Dropped when
// unused for a while: a worker process that helped once does not keep them.
const IDLE_MS = 60_000
let cache: { key: string; bytes: Promise<Uint8Array[] | null>; timer?: NodeJS.Timeout } | null = null

/** The datasets' stored aggregates (loadAggregates), from this process' cache when it holds them. */
export function cachedAggregates(db: Database, datasetIds: readonly string[]): Promise<Uint8Array[] | null> {
  const key = datasetIds.join(',')
  if (cache?.key !== key) {
    clearTimeout(cache?.timer)
    const entry: NonNullable<typeof cache> = { key, bytes: loadAggregates(db, datasetIds) }
    // A failed or empty load is not kept: the next job asks the database again.
    const forget = () => { if (cache === entry) cache = null }
    entry.bytes.then((b) => { if (b === null) forget() }, forget)
    cache = entry
  }
  const entry = cache
  clearTimeout(entry.timer)
  entry.timer = setTimeout(() => { if (cache === entry) cache = null }, IDLE_MS).unref()
  return entry.bytes
}

/** Lets go of the cached aggregates of `datasetIds` (a coordinator's merges are over: its modelling must not hold them). */
export function dropCachedAggregates(datasetIds: readonly string[]): void {
  if (cache?.key !== datasetIds.join(',')) return
  clearTimeout(cache.timer)
  cache = null
}

// One range at a time per process: a worker process's own merge-range subscription and a
// coordinator in the same process would otherwise interleave two merges on one event loop (no
// faster, twice the memory). A job waiting here keeps its heartbeat.
let running: Promise<unknown> = Promise.resolve()
function oneAtATime<T>(fn: () => Promise<T>): Promise<T> {
  const next = running.then(fn, fn)
  running = next.catch(() => {})
  return next
}

/**
 * A MergedPart as bytes and back. v8's serializer keeps what JSON would lose or inflate: the
 * typed arrays (as their bytes), the products' description Maps, -Infinity (maxDay of a part
 * without rows) and -0; a part read back is deep-equal to the one written.
 */
export const partBytes = (part: MergedPart): Buffer => v8.serialize(part)
export const partOf = (bytes: Uint8Array): MergedPart => v8.deserialize(bytes) as MergedPart

/** Runs one merge-range job: its range merged and stored as its batch's part `index`. */
export function runRangeJob(db: Database, job: RangeJob): Promise<void> {
  return oneAtATime(async () => {
    const stored = await cachedAggregates(db, job.datasetIds)
    if (stored === null) throw new Error(`merge range ${job.index} of batch ${job.batch}: a dataset of ${job.datasetIds.join(', ')} has no stored aggregates (deleted?)`)
    const part = await mergeRange(db, job.datasetIds, stored, job.window, job.range)
    await db.query(
      'INSERT INTO merge_parts (batch, "index", bytes) VALUES ($1, $2, $3) ON CONFLICT (batch, "index") DO UPDATE SET bytes = EXCLUDED.bytes, created_at = CURRENT_TIMESTAMP',
      [job.batch, job.index, partBytes(part)],
    )
  })
}
