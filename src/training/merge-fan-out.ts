// The coordinator of a merge fanned out by customer-hash range (issue 14 point 4): one merge-range
// job per range (merge-jobs.ts) sent in one insert, then, so that a lone worker process finishes
// without anyone's help, it claims and runs range jobs itself until none is left to claim, and
// waits for the ranges other workers hold. Its result is the in-process loop's: the same ranges,
// the same parts (bit for bit), finished by the same finishMerge.
import { randomUUID } from 'node:crypto'
import { hostname } from 'node:os'
import type { PgBoss, Job } from 'pg-boss'
import type { DayWindow, HashRange, MergedPart } from '../aggregates/index.ts'
import type { Database } from '../db/database.ts'
import { bossFor, HEARTBEAT_SECONDS, MERGE_QUEUE } from '../jobs/boss.ts'
import { partOf, runRangeJob, type RangeJob } from './merge-jobs.ts'

export interface FanOut {
  /** Aborted: the coordinator stops (its jobs cancelled, its parts deleted) and rejects with the reason. */
  signal?: AbortSignal
  /** How long the coordinator sleeps between looks while other workers hold its last ranges. */
  pollMs?: number
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal?.addEventListener('abort', done, { once: true })
  })

/** Who ran a range (kept as the job's output: which process did what). */
const COORDINATOR = `coordinator ${hostname()}:${process.pid}`

function message(output: unknown): string {
  const m = (output as { message?: unknown } | null)?.message
  return typeof m === 'string' ? m : JSON.stringify(output)
}

/** Runs a job this process claimed with `fetch`: heartbeats while it runs, then completes or fails it (pg-boss retries). */
async function runClaimed(boss: PgBoss, db: Database, job: Job<RangeJob>): Promise<void> {
  const attempt = { id: job.id, retryCount: job.retryCount }
  const beat = setInterval(() => void boss.touch(MERGE_QUEUE, attempt).catch(() => {}), (HEARTBEAT_SECONDS * 1000) / 2)
  let failed: unknown = null
  try {
    await runRangeJob(db, job.data)
  } catch (err) {
    failed = err
  } finally {
    clearInterval(beat)
  }
  if (failed === null) await boss.complete(MERGE_QUEUE, attempt, { worker: COORDINATOR })
  else await boss.fail(MERGE_QUEUE, attempt, { message: failed instanceof Error ? failed.message : String(failed), worker: COORDINATOR })
}

/** Throws when a range of the batch will never be stored: its job failed for good, was cancelled or is gone. */
async function checkJobs(boss: PgBoss, db: Database, batch: string, count: number): Promise<void> {
  const jobs = await boss.findJobs<RangeJob>(MERGE_QUEUE, { data: { batch }, limit: count })
  for (const j of jobs) {
    if (j.state === 'failed') throw new Error(`merge range ${j.data.index + 1} of ${count} failed after ${j.retryCount + 1} attempt(s): ${message(j.output)}`)
    if (j.state === 'cancelled') throw new Error(`merge range ${j.data.index + 1} of ${count} was cancelled`)
  }
  if (jobs.length < count) {
    const stored = new Set((await db.query<{ index: number }>('SELECT "index" FROM merge_parts WHERE batch = $1', [batch])).map((r) => r.index))
    const queued = new Set(jobs.map((j) => j.data.index))
    for (let i = 0; i < count; i++) if (!stored.has(i) && !queued.has(i)) throw new Error(`merge range ${i + 1} of ${count}: its job is gone and its part was never stored`)
  }
}

async function storedParts(db: Database, batch: string): Promise<number> {
  const [row] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM merge_parts WHERE batch = $1', [batch])
  return row!.n
}

/**
 * The parts of `ranges` (in that order) of the merge of the datasets' stored aggregates over the
 * window, each merged by a merge-range job. Rejects when a range fails for good (after pg-boss'
 * retries) or on `signal`; the batch's parts are deleted either way.
 */
export async function fanOutMerge(db: Database, datasetIds: readonly string[], window: DayWindow, ranges: readonly HashRange[], options: FanOut = {}): Promise<MergedPart[]> {
  const { signal, pollMs = 200 } = options
  signal?.throwIfAborted()
  const boss = await bossFor(db)
  const batch = randomUUID()
  const count = ranges.length
  // Parts a past batch left behind (a range finished after its coordinator had given up).
  await db.query(`DELETE FROM merge_parts WHERE created_at < now() - interval '1 day'`)
  const jobs = ranges.map((range, index) => {
    const data: RangeJob = { batch, index, datasetIds: [...datasetIds], window: { asOf: window.asOf, from: window.from }, range: { lo: range.lo, hi: range.hi } }
    return { id: randomUUID(), data }
  })
  await boss.insert(MERGE_QUEUE, jobs)
  try {
    for (;;) {
      signal?.throwIfAborted()
      if ((await storedParts(db, batch)) === count) break
      // Any range job, this batch's or another training's: a claimed job is run to its end.
      const [job] = await boss.fetch<RangeJob>(MERGE_QUEUE)
      if (job) {
        await runClaimed(boss, db, job)
        // Back to the event loop between ranges, so this process' timers run (heartbeats, its own
        // subscription's poll): on PGlite a query can resolve without ever returning to it.
        await new Promise((resolve) => setImmediate(resolve))
        continue
      }
      // Nothing to claim now: the rest is running elsewhere (or waiting out a retry's delay).
      await checkJobs(boss, db, batch, count)
      await sleep(pollMs, signal)
    }
    const rows = await db.query<{ index: number; bytes: Uint8Array }>('SELECT "index", bytes FROM merge_parts WHERE batch = $1 ORDER BY "index"', [batch])
    return rows.map((r) => partOf(r.bytes))
  } catch (err) {
    // Ranges not run yet are not run at all.
    await boss.cancel(MERGE_QUEUE, jobs.map((j) => j.id)).catch(() => {})
    throw err
  } finally {
    await db.query('DELETE FROM merge_parts WHERE batch = $1', [batch])
  }
}
