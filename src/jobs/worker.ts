// A job worker: pg-boss hands it training jobs one at a time (and keeps their heartbeat while
// the handler runs); it records each attempt in our `jobs` row. Runs inside the API process
// (WORKER=inline) or as its own process (src/worker.ts); any number of them share one database.
import { hostname } from 'node:os'
import { randomBytes } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import type { Job, PgBoss } from 'pg-boss'
import type { Database } from '../db/database.ts'
import { appendLog, attemptFailed, beginAttempt, finish, release, setStage, type Attempt } from './attempt.ts'
import { bossFor, MERGE_QUEUE, SCHEDULE_QUEUE, TRAIN_DEAD_QUEUE, TRAIN_QUEUE, WEBHOOK_QUEUE } from './boss.ts'
import { runRangeJob, type RangeJob } from '../training/merge-jobs.ts'
import { deliveryHandler, emit, type WebhookPolicy } from '../webhooks/events.ts'
import type { LogLevel } from './queue.ts'
import { runSchedule } from './schedules.ts'

/** A failure that another attempt cannot fix (bad params, no data): the job fails at once. */
export class PermanentJobError extends Error {}
/** Thrown at a stage boundary when the job was cancelled or is no longer this worker's. */
export class JobStopped extends Error {
  readonly reason: 'cancelled' | 'lost'
  constructor(reason: 'cancelled' | 'lost') {
    super(reason === 'cancelled' ? 'cancelled' : 'job is no longer owned by this worker')
    this.reason = reason
  }
}

export interface JobContext {
  readonly jobId: string
  readonly attempt: number
  /** Marks a stage boundary: progress is recorded, and a requested cancel takes effect here. */
  stage(name: string, progress: number): Promise<void>
  /**
   * Aborted (reason: a JobStopped 'lost') when the attempt must end now rather than at its next
   * stage: the worker is stopping, or pg-boss found the claim gone. A handler that can stop at
   * once (a training thread is ended) listens; the others stop at their next stage.
   */
  readonly signal: AbortSignal
  log(level: LogLevel, message: string): Promise<void>
}

export type JobHandler = (params: unknown, ctx: JobContext) => Promise<{ modelVersion?: number; message?: string }>

export interface WorkerOptions {
  id?: string
  /** How often an idle worker asks for a job (pg-boss' floor is 500 ms). */
  pollMs?: number
  logger?: FastifyBaseLogger
  /** With a policy, this worker also delivers webhooks and emits `job.failed`. */
  webhooks?: WebhookPolicy
  /**
   * This worker also runs merge-range jobs (any training's customer-hash ranges,
   * src/training/merge-jobs.ts): standalone worker processes do, so a second one helps a running
   * training. Not the API's inline worker: its event loop must not run merges.
   */
  mergeRanges?: boolean
}

export interface Worker {
  readonly id: string
  /** Wakes the worker now (a job was just queued by this process). */
  wake(): void
  /** Stops taking jobs, and hands a running job back to the queue; resolves when idle. */
  stop(): Promise<void>
}

type TrainData = { jobId: string }

type Failed = (jobId: string, error: string) => Promise<void>

async function runAttempt(db: Database, handler: JobHandler, job: Attempt, workerId: string, stopping: () => boolean, signal: AbortSignal, failed: Failed): Promise<void> {
  const ctx: JobContext = {
    jobId: job.id,
    attempt: job.attempts,
    signal,
    async stage(name, progress) {
      if (stopping() || signal.aborted) throw new JobStopped('lost')
      const s = await setStage(db, job.id, workerId, name, progress)
      if (!s.owned) throw new JobStopped('lost')
      if (s.cancelRequested) throw new JobStopped('cancelled')
    },
    log: (level, message) => appendLog(db, job.id, level, message),
  }
  try {
    const result = await handler(job.params, ctx)
    await finish(db, job.id, workerId, 'succeeded', { modelVersion: result.modelVersion, message: result.message ?? 'succeeded' })
  } catch (err) {
    if (err instanceof JobStopped) {
      if (err.reason === 'cancelled') return void await finish(db, job.id, workerId, 'cancelled', { message: 'cancelled at a stage boundary' })
      if (stopping()) await release(db, job.id, workerId)
      // pg-boss runs it again (shutdown), or has already handed it to another worker (lost).
      throw err
    }
    const message = err instanceof Error ? err.message : String(err)
    // A permanent failure completes the pg-boss job: nothing would come of a retry.
    if (err instanceof PermanentJobError) {
      await finish(db, job.id, workerId, 'failed', { error: message })
      return void await failed(job.id, message)
    }
    if (job.attempts >= job.maxAttempts) {
      await finish(db, job.id, workerId, 'failed', { error: message })
      await failed(job.id, message)
    } else await attemptFailed(db, job.id, workerId, message, `attempt ${job.attempts} failed: ${message}; retrying with backoff`)
    throw err
  }
}

/** Subscribes this worker to merge-range jobs (any training's merge, merge-fan-out.ts); the pg-boss work id. */
async function workMergeRanges(boss: PgBoss, db: Database, workerId: string, pollingIntervalSeconds: number): Promise<string> {
  let merges = ''
  const merge = async ([job]: Job<RangeJob>[]) => {
    // As for trainings: after a range, look for the next one at once.
    boss.notifyWorker(merges)
    await runRangeJob(db, job!.data)
    // Kept as the job's output: which process ran the range.
    return { worker: workerId }
  }
  merges = await boss.work<RangeJob>(MERGE_QUEUE, { batchSize: 1, pollingIntervalSeconds }, merge)
  return merges
}

export function startWorker(db: Database, handler: JobHandler, options: WorkerOptions = {}): Worker {
  const id = options.id ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`
  const log = options.logger
  const pollingIntervalSeconds = Math.max(0.5, (options.pollMs ?? 500) / 1000)
  let stopping = false
  const workIds: [string, string][] = []
  // One per running attempt: stop() aborts them (JobContext.signal).
  const attempts = new Set<AbortController>()

  let again = () => {}
  const policy = options.webhooks
  const failed: Failed = async (jobId, error) => {
    if (policy) await emit(db, policy, 'job.failed', { id: jobId, error, job: `/jobs/${jobId}` }, log)
  }
  const train = async ([job]: Job<TrainData>[]) => {
    // pg-boss waits a polling interval after every fetch, also one that found a job; more may be
    // waiting, so look again at once (10x the throughput of 100 tiny jobs: docs/benchmarks.md).
    // A fetch that finds nothing waits the interval as usual.
    again()
    const attempt = await beginAttempt(db, job!.data.jobId, id)
    if (!attempt) return // cancelled while queued, or already over
    const abort = new AbortController()
    const lost = () => abort.abort(new JobStopped('lost'))
    job!.signal.addEventListener('abort', lost, { once: true })
    attempts.add(abort)
    if (stopping || job!.signal.aborted) lost()
    try {
      await runAttempt(db, handler, attempt, id, () => stopping, abort.signal, failed)
      log?.info({ job: attempt.id }, 'job attempt over')
    } catch (err) {
      log?.warn({ job: attempt.id, err }, 'job attempt failed')
      throw err
    } finally {
      attempts.delete(abort)
      job!.signal.removeEventListener('abort', lost)
    }
  }
  // Out of retries (its last worker died, or it failed every time): the row must not stay running.
  const dead = async ([job]: Job<TrainData>[]) => {
    const error = 'gave up after its last attempt: its worker stopped responding'
    await finish(db, job!.data.jobId, null, 'failed', { error })
    await failed(job!.data.jobId, error)
  }

  const ready = (async () => {
    const boss = await bossFor(db)
    const trainWorker = await boss.work<TrainData>(TRAIN_QUEUE, { batchSize: 1, pollingIntervalSeconds }, train)
    again = () => boss.notifyWorker(trainWorker)
    workIds.push([TRAIN_QUEUE, trainWorker])
    workIds.push([TRAIN_DEAD_QUEUE, await boss.work<TrainData>(TRAIN_DEAD_QUEUE, { batchSize: 1, pollingIntervalSeconds: 2 }, dead)])
    workIds.push([SCHEDULE_QUEUE, await boss.work<{ schedule: string; train: object }>(SCHEDULE_QUEUE, { batchSize: 1, pollingIntervalSeconds: 2 },
      async ([job]) => runSchedule(db, job!.data, job!.id, log))])
    if (options.mergeRanges) workIds.push([MERGE_QUEUE, await workMergeRanges(boss, db, id, pollingIntervalSeconds)])
    if (options.webhooks) {
      workIds.push([WEBHOOK_QUEUE, await boss.work<{ deliveryId: string }>(WEBHOOK_QUEUE, { batchSize: 1, pollingIntervalSeconds: 1, includeMetadata: true }, deliveryHandler(db, options.webhooks))])
    }
    return boss
  })()
  ready.catch((err: unknown) => log?.error({ err }, 'job worker did not start'))

  return {
    id,
    wake() {
      ready.then((boss) => boss.notifyWorker(workIds[0]![1]), () => {})
    },
    async stop() {
      stopping = true
      for (const a of attempts) a.abort(new JobStopped('lost'))
      const boss = await ready.catch(() => null)
      if (!boss) return
      for (const [queue, w] of workIds) await boss.offWork(queue, { id: w, wait: true }).catch(() => {})
    },
  }
}
