// Training jobs as rows in Postgres. Any number of workers share the table: a claim is one
// UPDATE over `SELECT … FOR UPDATE SKIP LOCKED`, a running job proves it is alive by its
// heartbeat, and a job whose heartbeat stopped (its worker died) is claimed again or failed.
import { createHash, randomUUID } from 'node:crypto'
import type { Database } from '../db/database.ts'
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

const logLine = (level: LogLevel, message: string) => JSON.stringify([{ at: new Date().toISOString(), level, message }])

/**
 * Queues a job. The same Idempotency-Key returns the job it created (created: false); an
 * identical job (same params) already queued or running is a 409.
 */
export async function enqueue(db: Database, params: object, idempotencyKey?: string): Promise<{ job: JobView; created: boolean }> {
  const key = paramsKey(params)
  const id = randomUUID()
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
      'INSERT INTO jobs (id, params, params_key, idempotency_key, log) VALUES ($1, $2, $3, $4, $5)',
      [id, JSON.stringify(params), key, idempotencyKey ?? null, logLine('info', 'queued')],
    )
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

export interface ClaimedJob {
  id: string
  params: unknown
  attempts: number
  maxAttempts: number
}

/**
 * Claims the oldest runnable job: queued and due, or running with a heartbeat older than
 * `staleMs` (its worker died). A stale job that has used all its attempts is failed instead.
 */
export async function claim(db: Database, workerId: string, staleMs: number): Promise<ClaimedJob | null> {
  for (;;) {
    const rows = await db.query<{ id: string; params: unknown; attempts: number; max_attempts: number; was: string }>(
      `UPDATE jobs j SET status = 'running', attempts = j.attempts + 1, locked_by = $1, heartbeat_at = now(),
              started_at = coalesce(j.started_at, now()), stage = 'starting', progress = 0,
              log = j.log || jsonb_build_array(jsonb_build_object('at', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), 'level', 'info',
                'message', CASE WHEN c.status = 'running' THEN 'worker ' || coalesce(c.locked_by, '?') || ' stopped heartbeating; claimed by ' || $1 ELSE 'claimed by ' || $1 END))
         FROM (SELECT id, status, locked_by FROM jobs
                WHERE (status = 'queued' AND run_after <= now())
                   OR (status = 'running' AND heartbeat_at < now() - make_interval(secs => $2::float8 / 1000))
                ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED) c
        WHERE j.id = c.id
        RETURNING j.id, j.params, j.attempts, j.max_attempts, c.status AS was`,
      [workerId, staleMs],
    )
    const row = rows[0]
    if (!row) return null
    if (row.attempts > row.max_attempts) {
      await finish(db, row.id, workerId, 'failed', { error: `gave up after ${row.max_attempts} attempts: its worker stopped responding` })
      continue
    }
    return { id: row.id, params: row.params, attempts: row.attempts, maxAttempts: row.max_attempts }
  }
}

/** Records liveness and progress; returns false when the job is no longer this worker's. */
export async function heartbeat(db: Database, id: string, workerId: string): Promise<{ owned: boolean; cancelRequested: boolean }> {
  const rows = await db.query<{ cancel_requested: boolean }>(
    `UPDATE jobs SET heartbeat_at = now() WHERE id = $1 AND locked_by = $2 AND status = 'running' RETURNING cancel_requested`, [id, workerId])
  return { owned: rows.length > 0, cancelRequested: rows[0]?.cancel_requested ?? false }
}

/** Records a stage boundary; says whether the job is still this worker's and whether to cancel. */
export async function setStage(db: Database, id: string, workerId: string, stage: string, progress: number): Promise<{ owned: boolean; cancelRequested: boolean }> {
  const rows = await db.query<{ cancel_requested: boolean }>(
    `UPDATE jobs SET stage = $3, progress = $4, heartbeat_at = now(), log = log || $5::jsonb
      WHERE id = $1 AND locked_by = $2 AND status = 'running' RETURNING cancel_requested`,
    [id, workerId, stage, progress, logLine('info', `stage ${stage}`)],
  )
  return { owned: rows.length > 0, cancelRequested: rows[0]?.cancel_requested ?? false }
}

export async function appendLog(db: Database, id: string, level: LogLevel, message: string): Promise<void> {
  await db.query('UPDATE jobs SET log = log || $2::jsonb WHERE id = $1', [id, logLine(level, message)])
}

type Ending = { error?: string; modelVersion?: number; message?: string }

/** Moves a job this worker owns to a final state. */
export async function finish(db: Database, id: string, workerId: string, status: 'succeeded' | 'failed' | 'cancelled', end: Ending = {}): Promise<void> {
  const level: LogLevel = status === 'failed' ? 'error' : 'info'
  await db.query(
    `UPDATE jobs SET status = $3, finished_at = now(), error = $4, model_version = coalesce($5, model_version), locked_by = NULL,
            progress = CASE WHEN $3 = 'succeeded' THEN 1 ELSE progress END, log = log || $6::jsonb
      WHERE id = $1 AND (locked_by = $2 OR locked_by IS NULL)`,
    [id, workerId, status, end.error ?? null, end.modelVersion ?? null, logLine(level, end.message ?? end.error ?? status)],
  )
}

/** A failed attempt: queued again after a backoff while attempts remain, otherwise failed. */
export async function retryOrFail(db: Database, job: ClaimedJob, workerId: string, error: string, permanent: boolean): Promise<'queued' | 'failed'> {
  if (permanent || job.attempts >= job.maxAttempts) {
    await finish(db, job.id, workerId, 'failed', { error })
    return 'failed'
  }
  const backoffMs = 1000 * 2 ** (job.attempts - 1)
  await db.query(
    `UPDATE jobs SET status = 'queued', locked_by = NULL, run_after = now() + make_interval(secs => $3::float8 / 1000), error = $4, log = log || $5::jsonb
      WHERE id = $1 AND locked_by = $2`,
    [job.id, workerId, backoffMs, error, logLine('warn', `attempt ${job.attempts} failed: ${error}; retrying in ${backoffMs / 1000} s`)],
  )
  return 'queued'
}

/** Puts a job this worker is abandoning (shutdown) straight back in the queue, attempt not counted. */
export async function release(db: Database, id: string, workerId: string): Promise<void> {
  await db.query(
    `UPDATE jobs SET status = 'queued', locked_by = NULL, attempts = greatest(attempts - 1, 0), log = log || $3::jsonb WHERE id = $1 AND locked_by = $2 AND status = 'running'`,
    [id, workerId, logLine('warn', 'worker shut down; job queued again')],
  )
}

/** Cancels a queued job at once; a running one stops at its next stage boundary. */
export async function requestCancel(db: Database, id: string): Promise<JobView> {
  await getJob(db, id)
  await db.query(
    `UPDATE jobs SET status = CASE WHEN status = 'queued' THEN 'cancelled' ELSE status END,
            finished_at = CASE WHEN status = 'queued' THEN now() ELSE finished_at END,
            cancel_requested = status IN ('queued', 'running'),
            log = CASE WHEN status IN ('queued', 'running') THEN log || $2::jsonb ELSE log END
      WHERE id = $1`,
    [id, logLine('info', 'cancel requested')],
  )
  return getJob(db, id)
}
