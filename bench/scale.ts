// How the work grows with the data (issue 14), each case beside its baseline in the same run, on
// one real Postgres, the API in its own process (WORKER=off) and training in worker processes:
//
//   full      the full UCI file: upload → 201 → aggregates ready, beside pandas' read_csv of the
//             same .gz (Debian's python3-pandas; without it the bare gunzip + parse of
//             bench/lib/parse-only.ts, and the table says so)
//   x10x3     three x10 datasets (other customers each) uploaded one after another: each upload
//             beside the first, the API's peak RSS over the three
//   train     a training on the three x10 datasets beside a training on the full file, each in a
//             fresh worker process (its peak RSS is the training's)
//   workers   a training on the three x10 datasets (those of x10x3, uploaded once) run by one
//             worker process, then by two (the second just subscribed: it takes merge-range jobs
//             of the training's merges, issue 14 point 4): wall time, each process's peak RSS and
//             the ranges each ran, beside the one-process run
//   drain     N training jobs on the full file drained by one worker process, then by two
//   ten       (only with --ten) a training on ten x10 datasets (54 M rows): time and peak RSS
//
//   npm run bench -- scale [--cases full,x10x3,train,workers,drain] [--ten] [--quick] [--smoke]
// --quick: the full-file case and two jobs for `drain` only. --smoke: the x10 cases on three x1
// copies instead (minutes, not tens of them: checks the cases run, measures nothing worth keeping).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import pg from 'pg'
import { ROOT, fmt, fullFile, peakRssMiB, runChild, scaledFile, scratchDatabase, startServer, table, upload, type Server } from './lib/common.ts'

type Row = Record<string, string | number>

function worker(url: string): ChildProcess {
  return spawn(process.execPath, ['src/worker.ts'], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', DATABASE_URL: url, LOG_LEVEL: 'warn' }, stdio: ['ignore', 'ignore', 'inherit'] })
}

async function stopAll(procs: ChildProcess[]): Promise<void> {
  for (const p of procs) {
    if (p.exitCode !== null) continue
    p.kill('SIGTERM')
    await once(p, 'exit')
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Polls `check` every 100 ms for at most `seconds`. */
async function until(what: string, seconds: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + seconds * 1000
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not after ${seconds} s`)
    await sleep(100)
  }
}

/** pandas' read_csv of the .gz when Debian's python3 (or the one on PATH) has pandas; else null. */
function pandasReadCsv(file: string): { ms: number } | null {
  const code = [
    'import sys, time',
    'import pandas as pd',
    't = time.perf_counter()',
    "df = pd.read_csv(sys.argv[1], encoding='utf-8', encoding_errors='replace', dtype={'InvoiceNo': str, 'StockCode': str})",
    'print(len(df), (time.perf_counter() - t) * 1000)',
  ].join('\n')
  for (const python of ['/usr/bin/python3', 'python3']) {
    const res = spawnSync(python, ['-c', code, file], { encoding: 'utf8' })
    if (res.status === 0) {
      const [rows, ms] = res.stdout.trim().split(' ').map(Number)
      if (rows! > 0) return { ms: ms! }
    }
  }
  return null
}

/** Upload → 201 → aggregates ready (what training and drift read; the upload's own pass builds them). */
async function uploadUntilReady(api: Server, file: string): Promise<{ id: string; to201: number; toAggregates: number; rows: number }> {
  console.log(`  uploading ${file.split('/').pop()}`)
  const started = performance.now()
  const res = await upload(api.port, file)
  if (res.status !== 201) throw new Error(`upload answered ${res.status}: ${JSON.stringify(res.body)}`)
  const id = res.body.id as string
  await until('aggregates', 600, async () => ((await (await fetch(`${api.base}/datasets/${id}`)).json()) as any).aggregates === 'ready')
  return { id, to201: res.ms, toAggregates: performance.now() - started, rows: res.body.rows.read as number }
}

/** One training on `datasetIds` run by `n` fresh worker processes: wall time, each one's peak RSS and merge ranges run. */
async function trainInWorkers(api: Server, db: string, datasetIds: string[], n = 1): Promise<{ ms: number; peaks: number[]; ranges: number[] }> {
  console.log(`  training on ${datasetIds.length} dataset(s), ${n} worker process(es)`)
  const res = await fetch(`${api.base}/train`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ datasetIds, activate: 'never', seed: 1 }) })
  const job = (await res.json()) as any
  if (res.status !== 202) throw new Error(`POST /train: ${res.status} ${JSON.stringify(job)}`)
  const started = performance.now()
  const since = new Date()
  const procs: ChildProcess[] = []
  for (let i = 0; i < n; i++) procs.push(worker(db))
  const peaks = procs.map(() => 0)
  const sample = () => procs.forEach((p, i) => { if (p.exitCode === null) peaks[i] = Math.max(peaks[i]!, peakRssMiB(p.pid!)) })
  try {
    await until('training', 3600, async () => {
      sample()
      const j = (await (await fetch(`${api.base}/jobs/${job.id}`)).json()) as any
      if (j.status === 'failed' || j.status === 'canceled') throw new Error(`training ${j.status}: ${j.error}`)
      if (j.status === 'succeeded' && j.attempts > 1) console.log(`  (the training took ${j.attempts} attempts: its time includes the lost ones)`)
      return j.status === 'succeeded'
    })
    sample()
    const ms = performance.now() - started
    return { ms, peaks, ranges: await rangesBy(db, procs, since) }
  } finally {
    await stopAll(procs)
  }
}

/** Merge-range jobs completed since `since`, per process (their output names the worker, pid included). */
async function rangesBy(db: string, procs: ChildProcess[], since: Date): Promise<number[]> {
  const c = new pg.Client({ connectionString: db })
  await c.connect()
  try {
    const { rows } = await c.query<{ worker: string; n: number }>(
      `SELECT output->>'worker' AS worker, count(*)::int AS n FROM pgboss.job WHERE name = 'merge-range' AND state = 'completed' AND completed_on >= $1 GROUP BY 1`, [since])
    const pid = (w: string) => Number(/:(\d+)(?::|$)/.exec(w)?.[1])
    return procs.map((p) => rows.filter((r) => pid(r.worker) === p.pid).reduce((a, r) => a + r.n, 0))
  } finally {
    await c.end()
  }
}

async function withApi<T>(fn: (api: Server, db: string) => Promise<T>): Promise<T> {
  const scratch = await scratchDatabase()
  const api = await startServer({ DATABASE_URL: scratch.url, WORKER: 'off' })
  try {
    return await fn(api, scratch.url)
  } finally {
    await api.stop()
    await scratch.drop()
  }
}

async function fullCase(rows: Row[]): Promise<void> {
  const file = fullFile()
  const pandas = pandasReadCsv(file)
  const baseline = pandas ?? (await runChild('parse-only.ts', [file]))
  const name = pandas ? 'pandas read_csv' : 'gunzip+parse (no pandas here)'
  await withApi(async (api) => {
    const up = await uploadUntilReady(api, file)
    const done = up.toAggregates
    rows.push({ case: 'full file: upload → 201', 's': fmt(up.to201 / 1000), baseline: name, 'baseline s': fmt(baseline.ms / 1000), ratio: fmt(up.to201 / baseline.ms), 'peak RSS MiB': fmt(peakRssMiB(api.child.pid!), 0) })
    rows.push({ case: 'full file: upload → aggregates ready', 's': fmt(done / 1000), baseline: name, 'baseline s': fmt(baseline.ms / 1000), ratio: fmt(done / baseline.ms), 'peak RSS MiB': fmt(peakRssMiB(api.child.pid!), 0) })
  })
}

async function x10Cases(rows: Row[], cases: Set<string>, ten: boolean, smoke: boolean): Promise<void> {
  // --smoke: x1 copies (other customers each) stand in for the x10 files; the labels still say x10.
  const copies = smoke ? 1 : 10
  await withApi(async (api, db) => {
    const x1 = cases.has('train') ? await uploadUntilReady(api, fullFile()) : null
    const idle = peakRssMiB(api.child.pid!)
    const files = await Promise.all([smoke ? 1 : 0, 10, 20].map((first) => scaledFile(copies, first)))
    const ups = []
    for (const file of files) ups.push(await uploadUntilReady(api, file))
    const first = ups[0]!
    for (const [i, up] of ups.entries()) {
      rows.push({ case: `x10 upload ${i + 1} of 3 (${up.rows} rows) → aggregates`, 's': fmt(up.toAggregates / 1000), baseline: 'the first x10 upload', 'baseline s': fmt(first.toAggregates / 1000), ratio: fmt(up.toAggregates / first.toAggregates), 'peak RSS MiB': fmt(peakRssMiB(api.child.pid!), 0) })
    }
    rows.push({ case: `API peak RSS over the three (idle ${fmt(idle, 0)} MiB before)`, 's': '', baseline: '', 'baseline s': '', ratio: '', 'peak RSS MiB': fmt(peakRssMiB(api.child.pid!), 0) })
    if (cases.has('workers')) await workersCase(rows, api, db, ups.map((u) => u.id))
    if (x1) {
      const one = await trainInWorkers(api, db, [x1.id])
      const three = await trainInWorkers(api, db, ups.map((u) => u.id))
      rows.push({ case: 'training on the full file (worker process)', 's': fmt(one.ms / 1000), baseline: '', 'baseline s': '', ratio: '1.00', 'peak RSS MiB': fmt(one.peaks[0]!, 0) })
      rows.push({ case: 'training on the three x10 (16.3 M rows)', 's': fmt(three.ms / 1000), baseline: 'training on the full file', 'baseline s': fmt(one.ms / 1000), ratio: fmt(three.ms / one.ms), 'peak RSS MiB': fmt(three.peaks[0]!, 0) })
      if (ten) {
        const more = []
        for (const start of [30, 40, 50, 60, 70, 80, 90]) more.push(await uploadUntilReady(api, await scaledFile(copies, start)))
        const all = await trainInWorkers(api, db, [...ups, ...more].map((u) => u.id))
        rows.push({ case: 'training on ten x10 (54 M rows)', 's': fmt(all.ms / 1000), baseline: 'training on the three x10', 'baseline s': fmt(three.ms / 1000), ratio: fmt(all.ms / three.ms), 'peak RSS MiB': fmt(all.peaks[0]!, 0) })
      }
    }
  })
}

/** N training jobs on the full file drained by `workers` worker processes. */
async function drain(workers: number, jobs: number): Promise<number> {
  console.log(`  ${jobs} jobs, ${workers} worker process(es)`)
  return withApi(async (api, db) => {
    if ((await upload(api.port, fullFile())).status !== 201) throw new Error('upload failed')
    const ids: string[] = []
    for (let i = 0; i < jobs; i++) {
      const res = await fetch(`${api.base}/train`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ seed: i + 1, activate: 'never' }) })
      ids.push(((await res.json()) as any).id)
    }
    const started = performance.now()
    const procs: ChildProcess[] = []
    try {
      for (let i = 0; i < workers; i++) procs.push(worker(db))
      await until('jobs', 3600, async () => {
        const all = await Promise.all(ids.map(async (id) => ((await (await fetch(`${api.base}/jobs/${id}`)).json()) as any).status))
        if (all.some((s) => s === 'failed')) throw new Error('a job failed')
        return all.every((s) => s === 'succeeded')
      })
      return performance.now() - started
    } finally {
      await stopAll(procs)
    }
  })
}

/**
 * Issue 14 point 4: the training on the three x10 run by one worker process, then by two (the
 * second helps with the merges' ranges); each process's peak RSS, the ranges each ran.
 */
async function workersCase(rows: Row[], api: Server, db: string, datasetIds: string[]): Promise<void> {
  const one = await trainInWorkers(api, db, datasetIds, 1)
  const two = await trainInWorkers(api, db, datasetIds, 2)
  rows.push({ case: `training on the three x10, 1 worker process (ranges run: ${one.ranges.join(' / ')})`, 's': fmt(one.ms / 1000), baseline: '', 'baseline s': '', ratio: '1.00', 'peak RSS MiB': fmt(one.peaks[0]!, 0) })
  rows.push({ case: `training on the three x10, 2 worker processes (ranges run: ${two.ranges.join(' / ')})`, 's': fmt(two.ms / 1000), baseline: '1 worker process', 'baseline s': fmt(one.ms / 1000), ratio: fmt(two.ms / one.ms), 'peak RSS MiB': two.peaks.map((p) => fmt(p, 0)).join(' / ') })
}

async function drainCase(rows: Row[], jobs: number): Promise<void> {
  const one = await drain(1, jobs)
  const two = await drain(2, jobs)
  rows.push({ case: `${jobs} training jobs, 1 worker process`, 's': fmt(one / 1000), baseline: '', 'baseline s': '', ratio: '1.00', 'peak RSS MiB': '' })
  rows.push({ case: `${jobs} training jobs, 2 worker processes`, 's': fmt(two / 1000), baseline: '1 worker process', 'baseline s': fmt(one / 1000), ratio: fmt(two / one), 'peak RSS MiB': '' })
}

export async function run(args: string[]): Promise<void> {
  const quick = args.includes('--quick')
  const i = args.indexOf('--cases')
  const cases = new Set(i >= 0 ? args[i + 1]!.split(',') : quick ? ['full', 'drain'] : ['full', 'x10x3', 'train', 'workers', 'drain'])
  const rows: Row[] = []
  try {
    if (cases.has('full')) await fullCase(rows)
    if (cases.has('x10x3') || cases.has('train') || cases.has('workers')) await x10Cases(rows, cases, args.includes('--ten'), args.includes('--smoke'))
    if (cases.has('drain')) await drainCase(rows, quick ? 2 : 4)
  } finally {
    // A case that fails late (a training out of attempts) must not take the earlier figures with it.
    table(rows)
  }
  console.log('\n(ratio: this row\'s seconds over its baseline\'s, both measured in this run; a worker process\'s start-up is in its training\'s time)')
}
