// npm run bench -- jobs [--jobs 100] [--workers 2]: queue throughput. N tiny jobs (a stage
// boundary and a return, no training) queued at once on a fresh Postgres database (DATABASE_URL)
// or PGlite, drained by W workers in this process; prints jobs/s from the first enqueue to the
// last job's end. The queue's own cost: claim, heartbeat, stage writes, finish.
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { openDatabase, type Database } from '../src/db/database.ts'
import { migrate } from '../src/db/migrate.ts'
import { enqueue, getJob } from '../src/jobs/queue.ts'
import { startWorker, type JobHandler } from '../src/jobs/worker.ts'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function freshDb(): Promise<{ db: Database; drop: () => Promise<void> }> {
  const url = process.env.DATABASE_URL
  if (!url) {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-jobs-'))
    const db = await openDatabase({ databaseUrl: undefined, dataDir: dir })
    return { db, drop: () => rm(dir, { recursive: true, force: true }) }
  }
  const name = `bench_jobs_${randomBytes(4).toString('hex')}`
  const admin = new pg.Client({ connectionString: url })
  await admin.connect()
  await admin.query(`CREATE DATABASE ${name}`)
  const u = new URL(url)
  u.pathname = `/${name}`
  const db = await openDatabase({ databaseUrl: u.toString(), dataDir: '' })
  return { db, drop: async () => { await admin.query(`DROP DATABASE ${name} WITH (FORCE)`); await admin.end() } }
}

export async function run(args: string[]): Promise<void> {
  const opt = (flag: string, dflt: number) => { const i = args.indexOf(flag); return i >= 0 ? Number(args[i + 1]) : dflt }
  const n = opt('--jobs', 100)
  const w = opt('--workers', 2)
  const { db, drop } = await freshDb()
  await migrate(db)
  const handler: JobHandler = async (_p, ctx) => { await ctx.stage('work', 0.5); return { message: 'done' } }
  // The queue itself is started (schema, queues) before the clock runs.
  await enqueue(db, { warm: true })
  const workers = Array.from({ length: w }, () => startWorker(db, handler, { pollMs: 500 }))
  const started = performance.now()
  const ids: string[] = []
  for (let i = 0; i < n; i++) ids.push((await enqueue(db, { i })).job.id)
  for (;;) {
    const rows = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM jobs WHERE status = 'succeeded' AND id = ANY($1::uuid[])`, [ids])
    if (rows[0]!.n === n) break
    if (performance.now() - started > 600_000) throw new Error('jobs did not finish in 10 min')
    await sleep(20)
  }
  const s = (performance.now() - started) / 1000
  const last = await getJob(db, ids.at(-1)!)
  console.log(`${n} jobs, ${w} workers, ${db.kind}: ${s.toFixed(2)} s, ${(n / s).toFixed(1)} jobs/s (last job: ${last.status}, attempts ${last.attempts})`)
  await Promise.all(workers.map((x) => x.stop()))
  await db.close()
  await drop()
}
