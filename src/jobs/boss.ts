// The job queue is pg-boss (docs/decisions.md, "Why pg-boss"): it claims, retries with backoff,
// expires a job whose worker stopped heartbeating, dead-letters a job out of retries and runs
// cron schedules. It lives in the `pgboss` schema of our own database, reached through the one
// query interface of src/db/database.ts on Postgres and PGlite alike. Our `jobs` table keeps
// what pg-boss has not (stage, progress, log, params) and is what the HTTP API shows.
import { PgBoss, type Db as IDatabase } from 'pg-boss'
import type { Database, SqlTx } from '../db/database.ts'

/** Training jobs; `data` is `{ jobId }`, a row of our `jobs` table. */
export const TRAIN_QUEUE = 'train'
/** A training job out of retries lands here, so its `jobs` row is failed even when no handler saw the end. */
export const TRAIN_DEAD_QUEUE = 'train-dead'
/** Scheduled trainings: each run of a schedule sends `{ schedule, train }` here, which queues a normal job. */
export const SCHEDULE_QUEUE = 'train-schedule'
/** Webhook deliveries; `data` is `{ deliveryId }`, a row of `webhook_deliveries` (src/webhooks/). */
export const WEBHOOK_QUEUE = 'webhook'
/**
 * One customer-hash range of a training's merge (src/training/merge-jobs.ts); `data` is a
 * RangeJob. Sent by the merge's coordinator (src/training/merge-fan-out.ts), run by it or by any
 * standalone worker process.
 */
export const MERGE_QUEUE = 'merge-range'

/**
 * A training's worker proves it is alive this often (pg-boss sends the heartbeat every half of
 * it, from a timer on the event loop). On ten x10 datasets (437,200 customers) the modelling, then
 * one synchronous call on a standalone worker's main thread, outlasted 30 s (seed 1): the job was
 * taken for dead and ran again from the start (docs/benchmarks.md, "Scaling out"). The modelling
 * now runs in a thread of its own (training/model-thread.ts); the value fit and the last step of
 * the merge still run on the main thread, each one synchronous call, and their longest block at
 * that size is not measured yet, so 120 s stays. The cost: a worker killed mid-training is
 * noticed after ~2 minutes instead of 30 s.
 */
export const TRAIN_HEARTBEAT_SECONDS = 120

/** A worker of a range job, or of anything but a training, proves it is alive this often. */
export const HEARTBEAT_SECONDS = 30
/** How often pg-boss looks for jobs whose heartbeat stopped (and runs its other checks). */
const SUPERVISE_SECONDS = 5
/** attempts = 1 + retries; the jobs row shows `max_attempts`. */
export const MAX_ATTEMPTS = 3

/** pg-boss on one of our transactions: a job sent with it commits or rolls back with that transaction. */
export function txAdapter(tx: SqlTx): IDatabase {
  return { executeSql: async (text, values) => ({ rows: await tx.query(text, values) }) }
}

const started = new WeakMap<Database, Promise<PgBoss>>()

async function start(db: Database): Promise<PgBoss> {
  const boss = new PgBoss({
    db: { executeSql: db.executeSql },
    backend: db.kind === 'pglite' ? 'pglite' : 'postgres',
    superviseIntervalSeconds: SUPERVISE_SECONDS,
    monitorIntervalSeconds: SUPERVISE_SECONDS,
    registerInstance: false,
  })
  // pg-boss reports background failures (a supervise pass while the database is down) as events;
  // without a listener an 'error' event would end the process.
  boss.on('error', () => {})
  await boss.start()
  await boss.createQueue(TRAIN_DEAD_QUEUE, { retryLimit: 5, retryDelay: 1, retryBackoff: true })
  await boss.createQueue(TRAIN_QUEUE, {
    // One job per params hash (singletonKey) in created, retry or active: identical trainings never overlap.
    policy: 'exclusive',
    retryLimit: MAX_ATTEMPTS - 1,
    retryDelay: 1,
    retryBackoff: true,
    heartbeatSeconds: TRAIN_HEARTBEAT_SECONDS,
    // A training is bounded by the heartbeat, not the clock: a long, healthy one must not expire.
    expireInSeconds: 24 * 3600,
    deadLetter: TRAIN_DEAD_QUEUE,
  })
  // createQueue leaves an existing queue as it is: a database made when the heartbeat was 30 s gets the new one.
  await boss.updateQueue(TRAIN_QUEUE, { heartbeatSeconds: TRAIN_HEARTBEAT_SECONDS })
  await boss.createQueue(SCHEDULE_QUEUE, { retryLimit: 3, retryDelay: 5, retryBackoff: true })
  // Each delivery is sent with the configured retry policy (src/webhooks/events.ts); an attempt is bounded by its own timeout.
  await boss.createQueue(WEBHOOK_QUEUE, { retryBackoff: true, expireInSeconds: 300 })
  await boss.createQueue(MERGE_QUEUE, {
    // A range that failed (its worker died, the database blinked) runs again; one that fails every
    // time fails for good, and its coordinator stops waiting.
    retryLimit: MAX_ATTEMPTS - 1,
    retryDelay: 1,
    retryBackoff: true,
    heartbeatSeconds: HEARTBEAT_SECONDS,
    // A range takes seconds; the heartbeat catches a dead worker, the clock only a stuck one.
    expireInSeconds: 3600,
    // Nothing reads a range job once its batch is merged (its part is in merge_parts meanwhile).
    deleteAfterSeconds: 24 * 3600,
  })
  db.onClose(async () => {
    started.delete(db)
    await boss.stop({ graceful: true, timeout: 10_000, close: false })
  })
  return boss
}

/** The one pg-boss instance for `db`, started (schema and queues created) on first use. */
export function bossFor(db: Database): Promise<PgBoss> {
  let boss = started.get(db)
  if (!boss) {
    boss = start(db)
    started.set(db, boss)
    boss.catch(() => started.delete(db))
  }
  return boss
}
