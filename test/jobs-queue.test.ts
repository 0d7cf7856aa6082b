// The job queue (pg-boss, src/jobs/boss.ts) on a real database: claims are exclusive, failures
// retry with backoff, a dead worker's job is re-claimed or failed, cancel stops a running job at a
// stage boundary, and our jobs row and the pg-boss job are written in one transaction.
import t from 'tap'
import { openDatabase, type Database } from '../src/db/database.ts'
import { migrate } from '../src/db/migrate.ts'
import { enqueue, getJob, requestCancel } from '../src/jobs/queue.ts'
import { bossFor, TRAIN_QUEUE } from '../src/jobs/boss.ts'
import { PermanentJobError, startWorker, type JobHandler } from '../src/jobs/worker.ts'
import { backend, freshConfig } from './helpers/db.ts'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 20_000): Promise<T> {
  const end = Date.now() + ms
  for (;;) {
    const v = await fn()
    if (ok(v) || Date.now() > end) return v
    await sleep(50)
  }
}

t.test(`job queue on ${backend}`, async (t) => {
  const db: Database = await openDatabase(await freshConfig(t))
  await migrate(db)
  t.teardown(() => db.close())

  t.test('idempotency and identical jobs', async (t) => {
    const a = await enqueue(db, { n: 1 }, 'key-1')
    t.equal(a.created, true)
    const again = await enqueue(db, { n: 1 }, 'key-1')
    t.same({ id: again.job.id, created: again.created }, { id: a.job.id, created: false }, 'same key, same job')
    const conflict: unknown = await enqueue(db, { n: 1 }).catch((e: unknown) => e)
    t.match(conflict, { status: 409, detail: new RegExp(`already queued: /jobs/${a.job.id}`) }, 'identical params while queued: 409')
    const cancelled = await requestCancel(db, a.job.id)
    t.equal(cancelled.status, 'cancelled', 'a queued job is cancelled at once')
    t.equal((await enqueue(db, { n: 1 })).created, true, 'once it is no longer queued, the same params may run again')
    await requestCancel(db, (await enqueue(db, { n: 2 })).job.id)
  })

  t.test('three jobs, two workers: each runs exactly once', async (t) => {
    await db.query(`UPDATE jobs SET status = 'cancelled' WHERE status = 'queued'`)
    const runs: string[] = []
    const handler: JobHandler = async (_p, ctx) => {
      runs.push(ctx.jobId)
      await ctx.stage('work', 0.5)
      await sleep(100)
      return { message: 'done' }
    }
    const ids = await Promise.all([1, 2, 3].map(async (i) => (await enqueue(db, { job: i })).job.id))
    const workers = [startWorker(db, handler, { pollMs: 20 }), startWorker(db, handler, { pollMs: 20 })]
    const jobs = await until(() => Promise.all(ids.map((id) => getJob(db, id))), (js) => js.every((j) => j.status === 'succeeded'))
    await Promise.all(workers.map((w) => w.stop()))
    t.same(jobs.map((j) => j.status), ['succeeded', 'succeeded', 'succeeded'])
    t.same([...runs].sort(), [...ids].sort(), 'each job ran once')
    t.same(jobs.map((j) => j.attempts), [1, 1, 1])
    t.ok(jobs.every((j) => j.progress === 1 && j.finishedAt !== null), 'finished with progress 1')
    t.ok(jobs[0]!.log.some((l) => l.message === 'stage work'), 'stages are logged')
  })

  t.test('a failing attempt is retried with backoff; a permanent error fails at once', async (t) => {
    let calls = 0
    const flaky: JobHandler = async () => {
      calls++
      if (calls === 1) throw new Error('transient')
      return {}
    }
    const { job } = await enqueue(db, { flaky: true })
    const w = startWorker(db, flaky, { pollMs: 20 })
    const done = await until(() => getJob(db, job.id), (j) => j.status === 'succeeded')
    await w.stop()
    t.equal(done.status, 'succeeded')
    t.equal(done.attempts, 2, 'second attempt succeeded')
    t.ok(done.log.some((l) => /attempt 1 failed: transient; retrying with backoff/.test(l.message)))

    const bad = await enqueue(db, { bad: true })
    const w2 = startWorker(db, async () => { throw new PermanentJobError('no data') }, { pollMs: 20 })
    const failed = await until(() => getJob(db, bad.job.id), (j) => j.status === 'failed')
    await w2.stop()
    t.match(failed, { status: 'failed', attempts: 1, error: 'no data' })
  })

  t.test('cancel takes effect at the next stage boundary', async (t) => {
    let release: () => void = () => {}
    const gate = new Promise<void>((r) => { release = r })
    let reachedSecondStage = false
    const handler: JobHandler = async (_p, ctx) => {
      await ctx.stage('one', 0.1)
      await gate
      await ctx.stage('two', 0.5)
      reachedSecondStage = true
      return {}
    }
    const { job } = await enqueue(db, { cancel: true })
    const w = startWorker(db, handler, { pollMs: 20 })
    await until(() => getJob(db, job.id), (j) => j.stage === 'one')
    const asked = await requestCancel(db, job.id)
    t.equal(asked.status, 'running', 'still running right after the request')
    release()
    const ended = await until(() => getJob(db, job.id), (j) => j.status === 'cancelled')
    await w.stop()
    t.equal(ended.status, 'cancelled')
    t.equal(reachedSecondStage, false, 'the next stage never ran')
  })

  t.test('a job whose worker stopped heartbeating is claimed again, then failed when out of attempts', async (t) => {
    const boss = await bossFor(db)
    const { job } = await enqueue(db, { dead: true })
    // A worker that claims and then dies: no heartbeat, no finish.
    const [claimed] = await boss.fetch<{ jobId: string }>(TRAIN_QUEUE)
    t.equal(claimed?.data.jobId, job.id)
    await db.query(`UPDATE jobs SET status = 'running', attempts = 1, locked_by = 'dead-worker' WHERE id = $1`, [job.id])
    t.same(await boss.fetch(TRAIN_QUEUE), [], 'a live claim is exclusive')
    // Its heartbeat goes stale; pg-boss' supervisor puts it back for a retry.
    const stale = async () => {
      await db.query(`UPDATE pgboss.job SET heartbeat_on = now() - interval '1 hour', started_on = now() - interval '1 hour' WHERE id = $1`, [job.id])
      await boss.supervise(TRAIN_QUEUE)
    }
    await stale()
    let rescued = false
    const w = startWorker(db, async (_p, ctx) => {
      rescued = true
      t.equal(ctx.attempt, 2)
      throw new Error('and this one dies too')
    }, { pollMs: 20, id: 'rescuer' })
    await until(() => getJob(db, job.id), (j) => j.attempts === 2 && j.status === 'queued')
    await w.stop()
    t.ok(rescued, 'stale job claimed again')
    t.ok((await getJob(db, job.id)).log.some((l) => /worker dead-worker stopped heartbeating; claimed by rescuer/.test(l.message)))
    // The last attempt's worker dies as well: out of retries, the dead letter fails the row.
    await until(async () => (await boss.fetch<{ jobId: string }>(TRAIN_QUEUE, { ignoreStartAfter: true }))[0], (j) => j !== undefined)
    await db.query(`UPDATE jobs SET status = 'running', attempts = 3, locked_by = 'dead-again' WHERE id = $1`, [job.id])
    await stale()
    const w2 = startWorker(db, async () => ({}), { pollMs: 20 })
    const failed = await until(() => getJob(db, job.id), (j) => j.status === 'failed')
    await w2.stop()
    t.match(failed, { status: 'failed', attempts: 3, error: /stopped responding/ })
  })

  t.test('the job row and the pg-boss job commit or roll back together', async (t) => {
    const { job } = await enqueue(db, { together: true })
    const [row] = await db.query<{ state: string; singleton_key: string }>('SELECT state, singleton_key FROM pgboss.job WHERE id = $1', [job.id])
    t.equal(row?.state, 'created', 'a pg-boss job with the same id')
    await requestCancel(db, job.id)
    t.equal((await db.query<{ state: string }>('SELECT state FROM pgboss.job WHERE id = $1', [job.id]))[0]?.state, 'cancelled', 'cancel reaches pg-boss')
  })
})
