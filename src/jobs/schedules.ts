// Scheduled training: a pg-boss cron schedule on the `train-schedule` queue, keyed by our
// schedule name. Each run is resolved like a POST /train body at that moment (so "every
// dataset" includes the ones uploaded since) and queued as a normal job with its own jobs row.
import type { FastifyBaseLogger } from 'fastify'
import type { Database } from '../db/database.ts'
import { HttpProblem } from '../errors.ts'
import type { TrainBody } from '../schemas/jobs.ts'
import { trainParams } from '../training/request.ts'
import { appendLog } from './attempt.ts'
import { bossFor, SCHEDULE_QUEUE } from './boss.ts'
import { enqueue } from './queue.ts'

export interface ScheduleInput {
  name: string
  cron: string
  tz?: string
  train?: TrainBody
}

export interface ScheduleView {
  name: string
  cron: string
  tz: string
  train: TrainBody
  /** The next three runs, in UTC. */
  next: string[]
  createdAt: string
  updatedAt: string
}

type Stored = { schedule: string; train: TrainBody }

function checkTz(tz: string): void {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz })
  } catch {
    throw new HttpProblem(400, 'Bad Request', `unknown time zone "${tz}": use an IANA name such as Europe/London or UTC`, [{ path: 'body.tz', message: 'unknown time zone' }])
  }
}

async function nextRuns(db: Database, cron: string, tz: string): Promise<string[]> {
  const boss = await bossFor(db)
  try {
    return boss.previewSchedule(cron, { tz, count: 3 }).map((d) => d.toISOString())
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err)
    throw new HttpProblem(400, 'Bad Request', `invalid cron expression "${cron}": ${why}`, [{ path: 'body.cron', message: 'invalid cron expression' }])
  }
}

/** Creates or replaces the schedule `name`; 400 for a bad cron or tz, 4xx as POST /train for a bad body. */
export async function putSchedule(db: Database, input: ScheduleInput): Promise<ScheduleView> {
  const tz = input.tz ?? 'UTC'
  checkTz(tz)
  await nextRuns(db, input.cron, tz)
  const train = input.train ?? {}
  // Checked now so a schedule that could never run is refused; resolved again at each run.
  await trainParams(db, train)
  const boss = await bossFor(db)
  const data: Stored = { schedule: input.name, train }
  await boss.schedule(SCHEDULE_QUEUE, input.cron, data, { tz, key: input.name })
  return getSchedule(db, input.name)
}

export async function getSchedule(db: Database, name: string): Promise<ScheduleView> {
  const boss = await bossFor(db)
  const s = await boss.getSchedule(SCHEDULE_QUEUE, name)
  if (!s) throw new HttpProblem(404, 'Not Found', `schedule ${name} does not exist`)
  return {
    name: s.key,
    cron: s.cron,
    tz: s.timezone,
    train: (s.data as Stored).train,
    next: await nextRuns(db, s.cron, s.timezone),
    createdAt: new Date(s.createdOn).toISOString(),
    updatedAt: new Date(s.updatedOn).toISOString(),
  }
}

export async function listSchedules(db: Database): Promise<ScheduleView[]> {
  const boss = await bossFor(db)
  const all = await boss.getSchedules(SCHEDULE_QUEUE)
  return Promise.all(all.sort((a, b) => a.key.localeCompare(b.key)).map((s) => getSchedule(db, s.key)))
}

export async function deleteSchedule(db: Database, name: string): Promise<void> {
  await getSchedule(db, name)
  await (await bossFor(db)).unschedule(SCHEDULE_QUEUE, name)
}

/**
 * One run of a schedule (the pg-boss handler of `train-schedule`). The Idempotency-Key is the
 * run's own pg-boss id, so a retried run does not queue a second job. An identical job already
 * queued or running (409) or no data (422) skips this run: a retry would not change that.
 */
export async function runSchedule(db: Database, data: Stored, runId: string, log?: FastifyBaseLogger): Promise<string | null> {
  try {
    const params = await trainParams(db, data.train)
    const { job, created } = await enqueue(db, params, `schedule:${data.schedule}:${runId}`)
    if (created) await appendLog(db, job.id, 'info', `queued by schedule ${data.schedule}`)
    return job.id
  } catch (err) {
    if (err instanceof HttpProblem && err.status < 500) {
      log?.warn({ schedule: data.schedule, detail: err.detail }, 'scheduled training skipped')
      return null
    }
    throw err
  }
}
