// Training jobs: our `jobs` row (stage, progress, log, params: what GET /jobs shows) and the
// pg-boss job that carries it (claims, retries, expiry), created in one transaction. The
// worker side (src/jobs/worker.ts) records each attempt here through src/jobs/attempt.ts.
import { createHash, randomUUID } from 'node:crypto'
import type { Database } from '../db/database.ts'
import { bossFor, TRAIN_QUEUE, txAdapter, MAX_ATTEMPTS } from './boss.ts'
import { HttpProblem } from '../errors.ts'
import type { Job } from '../generated/prisma/client.ts'

export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled'
export type LogLevel = 'info' | 'warn' | 'error'

export interface JobView {
  id: string
  status: JobStatus
  stage: string | null
  progress: number
  attempts: number
  maxAttempts: number
  params: unknown
  error: string | null
  modelVersion: number | null
  log: { at: string; level: LogLevel; message: string }[]
  createdAt: string
  startedAt: string | null
  finishedAt: string | null
}

export function toJobView(j: Job): JobView {
  return {
    id: j.id,
    status: j.status as JobStatus,
    stage: j.stage,
    progress: j.progress,
    attempts: j.attempts,
    maxAttempts: j.maxAttempts,
    params: j.params,
    error: j.error,
    modelVersion: j.modelVersion,
    log: j.log as JobView['log'],
    createdAt: j.createdAt.toISOString(),
    startedAt: j.startedAt?.toISOString() ?? null,
    finishedAt: j.finishedAt?.toISOString() ?? null,
  }
}

/** Canonical JSON (sorted keys), so equal params give equal keys. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`
  }
  return JSON.stringify(value)
}

export function paramsKey(params: unknown): string {
  return createHash('sha256').update(canonical(params)).digest('hex')
}

export const logLine = (level: LogLevel, message: string) => JSON.stringify([{ at: new Date().toISOString(), level, message }])

/**
 * Queues a job. The same Idempotency-Key returns the job it created (created: false); an
 * identical job (same params) already queued or running is a 409.
 */
export async function enqueue(db: Database, params: object, idempotencyKey?: string): Promise<{ job: JobView; created: boolean }> {
  const key = paramsKey(params)
  const id = randomUUID()
  const boss = await bossFor(db)
  const outcome = await db.transaction(async (tx) => {
    // Serialise enqueues of the same params so two identical requests cannot both get in.
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [key])
    if (idempotencyKey !== undefined) {
      const same = await tx.query<{ id: string }>('SELECT id FROM jobs WHERE idempotency_key = $1', [idempotencyKey])
      if (same[0]) return { id: same[0].id, created: false }
    }
    const busy = await tx.query<{ id: string; status: string }>(
      `SELECT id, status FROM jobs WHERE params_key = $1 AND status IN ('queued', 'running') LIMIT 1`, [key])
    if (busy[0]) {
      throw new HttpProblem(409, 'Conflict', `an identical training job is already ${busy[0].status}: /jobs/${busy[0].id}`)
    }
    await tx.query(
      'INSERT INTO jobs (id, params, params_key, idempotency_key, max_attempts, log) VALUES ($1, $2, $3, $4, $5, $6)',
      [id, JSON.stringify(params), key, idempotencyKey ?? null, MAX_ATTEMPTS, logLine('info', 'queued')],
    )
    // The same id on both sides; the exclusive queue refuses a second job with these params.
    const sent = await boss.send(TRAIN_QUEUE, { jobId: id }, { id, singletonKey: key, db: txAdapter(tx) })
    if (sent === null) throw new HttpProblem(409, 'Conflict', 'an identical training job is already queued or running')
    return { id, created: true }
  })
  return { job: await getJob(db, outcome.id), created: outcome.created }
}

export async function getJob(db: Database, id: string): Promise<JobView> {
  const job = /^[0-9a-f-]{36}$/i.test(id) ? await db.prisma.job.findUnique({ where: { id } }) : null
  if (!job) throw new HttpProblem(404, 'Not Found', `job ${id} does not exist`)
  return toJobView(job)
}

export async function listJobs(db: Database, limit = 100): Promise<JobView[]> {
  return (await db.prisma.job.findMany({ orderBy: { createdAt: 'desc' }, take: limit })).map(toJobView)
}

/** Cancels a queued job at once; a running one stops at its next stage boundary. */
export async function requestCancel(db: Database, id: string): Promise<JobView> {
  await getJob(db, id)
  const boss = await bossFor(db)
  await db.transaction(async (tx) => {
    const [row] = await tx.query<{ status: string }>('SELECT status FROM jobs WHERE id = $1 FOR UPDATE', [id])
    // A queued job leaves pg-boss too; a running one is cancelled by its worker at a stage boundary.
    if (row?.status === 'queued') await boss.cancel(TRAIN_QUEUE, id, { db: txAdapter(tx) })
    await tx.query(
    `UPDATE jobs SET status = CASE WHEN status = 'queued' THEN 'cancelled' ELSE status END,
            finished_at = CASE WHEN status = 'queued' THEN now() ELSE finished_at END,
            cancel_requested = status IN ('queued', 'running'),
            log = CASE WHEN status IN ('queued', 'running') THEN log || $2::jsonb ELSE log END
      WHERE id = $1`,
    [id, logLine('info', 'cancel requested')],
    )
  })
  return getJob(db, id)
}
