// Scaling out: N training jobs on the full UCI file drained by one worker process, then by two,
// with the API in its own process (WORKER=off), all on one real Postgres.
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { ROOT, fmt, fullFile, scratchDatabase, startServer, table, upload } from './lib/common.ts'

function worker(url: string): ChildProcess {
  return spawn(process.execPath, ['src/worker.ts'], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', DATABASE_URL: url, LOG_LEVEL: 'warn' }, stdio: ['ignore', 'ignore', 'inherit'] })
}

async function drain(workers: number, jobs: number): Promise<{ ms: number; perJobMs: number }> {
  const scratch = await scratchDatabase()
  const api = await startServer({ DATABASE_URL: scratch.url, WORKER: 'off' })
  const procs: ChildProcess[] = []
  try {
    if ((await upload(api.port, fullFile())).status !== 201) throw new Error('upload failed')
    const ids: string[] = []
    for (let i = 0; i < jobs; i++) {
      const res = await fetch(`${api.base}/train`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ seed: i + 1, activate: 'never' }) })
      ids.push(((await res.json()) as any).id)
    }
    const started = performance.now()
    for (let i = 0; i < workers; i++) procs.push(worker(scratch.url))
    for (;;) {
      const all = await Promise.all(ids.map(async (id) => ((await (await fetch(`${api.base}/jobs/${id}`)).json()) as any).status))
      if (all.every((s) => s === 'succeeded')) break
      if (all.some((s) => s === 'failed')) throw new Error('a job failed')
      await new Promise((r) => setTimeout(r, 100))
    }
    const ms = performance.now() - started
    return { ms, perJobMs: ms / jobs }
  } finally {
    for (const p of procs) { p.kill('SIGTERM'); await once(p, 'exit') }
    await api.stop()
    await scratch.drop()
  }
}

export async function run(args: string[]): Promise<void> {
  const jobs = args.includes('--quick') ? 2 : 4
  const one = await drain(1, jobs)
  const two = await drain(2, jobs)
  table([
    { workers: 1, jobs, 'wall s': fmt(one.ms / 1000), 's per job': fmt(one.perJobMs / 1000), speed: '1.00' },
    { workers: 2, jobs, 'wall s': fmt(two.ms / 1000), 's per job': fmt(two.perJobMs / 1000), speed: fmt(one.ms / two.ms) },
  ])
  console.log('\n(each worker is a process of its own; the start-up of the worker processes is included)')
}
