// The queries behind GET /metrics' job gauges (src/plugins/metrics.ts), read from the jobs table
// at each scrape so every API instance reports the same figures, whichever process ran the jobs.
import type { Database } from '../db/database.ts'

export const JOB_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const
export type JobStatus = (typeof JOB_STATUSES)[number]

/** How many jobs are in each status (0 for a status no job is in). */
export async function jobsByStatus(db: Database): Promise<Record<JobStatus, number>> {
  const rows = await db.query<{ status: string; n: number }>('SELECT status, count(*)::int AS n FROM jobs GROUP BY status')
  return Object.fromEntries(JOB_STATUSES.map((s) => [s, rows.find((r) => r.status === s)?.n ?? 0])) as Record<JobStatus, number>
}

/** Seconds from start to finish of the latest successful job; 0 before the first. */
export async function lastTrainingSeconds(db: Database): Promise<number> {
  const rows = await db.query<{ s: number | null }>(
    `SELECT extract(epoch FROM finished_at - started_at)::float8 AS s FROM jobs WHERE status = 'succeeded' ORDER BY finished_at DESC LIMIT 1`)
  return rows[0]?.s ?? 0
}
