// A job worker: claims jobs one at a time and runs them through a handler, keeping a heartbeat
// while it works. Runs inside the API process (WORKER=inline) or as its own process
// (src/worker.ts); any number of them can share one database.
import { hostname } from 'node:os'
import { randomBytes } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import type { Database } from '../db/database.ts'
import { claim, finish, heartbeat, release, retryOrFail, setStage, appendLog, type ClaimedJob, type LogLevel } from './queue.ts'

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
  log(level: LogLevel, message: string): Promise<void>
}

export type JobHandler = (params: unknown, ctx: JobContext) => Promise<{ modelVersion?: number; message?: string }>

export interface WorkerOptions {
  id?: string
  pollMs?: number
  heartbeatMs?: number
  /** A running job whose heartbeat is older than this is taken to have lost its worker. */
  staleMs?: number
  logger?: FastifyBaseLogger
}

export interface Worker {
  readonly id: string
  /** Stops claiming, and hands a running job back to the queue; resolves when idle. */
  stop(): Promise<void>
}

export const DEFAULT_STALE_MS = 15_000

export function startWorker(db: Database, handler: JobHandler, options: WorkerOptions = {}): Worker {
  const id = options.id ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`
  const pollMs = options.pollMs ?? 500
  const heartbeatMs = options.heartbeatMs ?? 2000
  const staleMs = options.staleMs ?? DEFAULT_STALE_MS
  const log = options.logger
  let stopping = false
  let wake: (() => void) | undefined

  const sleep = (ms: number) => new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms)
    wake = () => { clearTimeout(timer); resolve() }
  })

  async function run(job: ClaimedJob): Promise<void> {
    let cancelRequested = false
    let lost = false
    const beat = setInterval(() => {
      heartbeat(db, job.id, id).then((h) => {
        lost ||= !h.owned
        cancelRequested ||= h.cancelRequested
      }, (err: unknown) => log?.warn({ err, job: job.id }, 'heartbeat failed'))
    }, heartbeatMs)
    const ctx: JobContext = {
      jobId: job.id,
      attempt: job.attempts,
      async stage(name, progress) {
        if (stopping) throw new JobStopped('lost')
        const s = await setStage(db, job.id, id, name, progress)
        lost ||= !s.owned
        cancelRequested ||= s.cancelRequested
        if (lost) throw new JobStopped('lost')
        if (cancelRequested) throw new JobStopped('cancelled')
      },
      log: (level, message) => appendLog(db, job.id, level, message),
    }
    try {
      const result = await handler(job.params, ctx)
      await finish(db, job.id, id, 'succeeded', { modelVersion: result.modelVersion, message: result.message ?? 'succeeded' })
      log?.info({ job: job.id, modelVersion: result.modelVersion }, 'job succeeded')
    } catch (err) {
      if (err instanceof JobStopped) {
        if (err.reason === 'cancelled') await finish(db, job.id, id, 'cancelled', { message: 'cancelled at a stage boundary' })
        else if (stopping) await release(db, job.id, id)
        log?.info({ job: job.id, reason: err.reason }, 'job stopped')
        return
      }
      const message = err instanceof Error ? err.message : String(err)
      const outcome = await retryOrFail(db, job, id, message, err instanceof PermanentJobError)
      log?.warn({ job: job.id, err, outcome }, 'job attempt failed')
    } finally {
      clearInterval(beat)
    }
  }

  const loop = (async () => {
    while (!stopping) {
      try {
        const job = await claim(db, id, staleMs)
        if (job) await run(job)
        else await sleep(pollMs)
      } catch (err) {
        // The database may be briefly unreachable; keep the worker alive and try again.
        log?.error({ err }, 'worker loop error')
        await sleep(pollMs * 4)
      }
    }
  })()

  return {
    id,
    async stop() {
      stopping = true
      wake?.()
      await loop
    },
  }
}
