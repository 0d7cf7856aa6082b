// What an attempt writes to our `jobs` row. pg-boss owns claiming and retrying; the row is what
// the API shows: status, stage, progress, attempts, log. Every write names the worker that holds
// the row (`locked_by`), so an attempt that pg-boss gave to another worker cannot overwrite it.
import type { Database } from '../db/database.ts'
import { logLine, type LogLevel } from './queue.ts'

export interface Attempt {
  id: string
  params: unknown
  attempts: number
  maxAttempts: number
}

/**
 * Marks the row running for this worker. A row still `running` was left by a worker that died
 * (pg-boss expired its heartbeat and handed the job on). Null when the job is no longer runnable
 * (cancelled while queued, or already finished).
 */
export async function beginAttempt(db: Database, id: string, workerId: string): Promise<Attempt | null> {
  const rows = await db.query<{ id: string; params: unknown; attempts: number; max_attempts: number }>(
    `UPDATE jobs j SET status = 'running', attempts = j.attempts + 1, locked_by = $2,
            started_at = coalesce(j.started_at, now()), stage = 'starting', progress = 0,
            log = j.log || jsonb_build_array(jsonb_build_object('at', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), 'level', 'info',
              'message', CASE WHEN c.status = 'running' THEN 'worker ' || coalesce(c.locked_by, '?') || ' stopped heartbeating; claimed by ' || $2 ELSE 'claimed by ' || $2 END))
       FROM (SELECT id, status, locked_by FROM jobs WHERE id = $1 AND status IN ('queued', 'running') FOR UPDATE) c
      WHERE j.id = c.id
      RETURNING j.id, j.params, j.attempts, j.max_attempts`,
    [id, workerId],
  )
  const row = rows[0]
  return row ? { id: row.id, params: row.params, attempts: row.attempts, maxAttempts: row.max_attempts } : null
}

/** Records a stage boundary; says whether the job is still this worker's and whether to cancel. */
export async function setStage(db: Database, id: string, workerId: string, stage: string, progress: number): Promise<{ owned: boolean; cancelRequested: boolean }> {
  const rows = await db.query<{ cancel_requested: boolean }>(
    `UPDATE jobs SET stage = $3, progress = $4, log = log || $5::jsonb
      WHERE id = $1 AND locked_by = $2 AND status = 'running' RETURNING cancel_requested`,
    [id, workerId, stage, progress, logLine('info', `stage ${stage}`)],
  )
  return { owned: rows.length > 0, cancelRequested: rows[0]?.cancel_requested ?? false }
}

export async function appendLog(db: Database, id: string, level: LogLevel, message: string): Promise<void> {
  await db.query('UPDATE jobs SET log = log || $2::jsonb WHERE id = $1', [id, logLine(level, message)])
}

type Ending = { error?: string; modelVersion?: number; message?: string }

/** Moves a job this worker holds (or nobody holds: `workerId` null) to a final state. */
export async function finish(db: Database, id: string, workerId: string | null, status: 'succeeded' | 'failed' | 'cancelled', end: Ending = {}): Promise<boolean> {
  const level: LogLevel = status === 'failed' ? 'error' : 'info'
  const rows = await db.query(
    `UPDATE jobs SET status = $3, finished_at = now(), error = $4, model_version = coalesce($5, model_version), locked_by = NULL,
            progress = CASE WHEN $3 = 'succeeded' THEN 1 ELSE progress END, log = log || $6::jsonb
      WHERE id = $1 AND status IN ('queued', 'running') AND (locked_by = $2 OR locked_by IS NULL OR $2::text IS NULL) RETURNING id`,
    [id, workerId, status, end.error ?? null, end.modelVersion ?? null, logLine(level, end.message ?? end.error ?? status)],
  )
  return rows.length > 0
}

/** A failed attempt that pg-boss will retry: the row waits as queued. */
export async function attemptFailed(db: Database, id: string, workerId: string, error: string, message: string): Promise<void> {
  await db.query(
    `UPDATE jobs SET status = 'queued', locked_by = NULL, error = $3, log = log || $4::jsonb WHERE id = $1 AND locked_by = $2 AND status = 'running'`,
    [id, workerId, error, logLine('warn', message)],
  )
}

/** A job this worker abandons at shutdown goes back to queued; its attempt is not counted. */
export async function release(db: Database, id: string, workerId: string): Promise<void> {
  await db.query(
    `UPDATE jobs SET status = 'queued', locked_by = NULL, attempts = greatest(attempts - 1, 0), log = log || $3::jsonb WHERE id = $1 AND locked_by = $2 AND status = 'running'`,
    [id, workerId, logLine('warn', 'worker shut down; job queued again')],
  )
}
