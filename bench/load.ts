// Predictions under load while a model is trained and activated: 100 concurrent clients send
// GET /predict/customer/{random known id} for 60 s (a custom keep-alive client, because every
// response body is read: its modelVersion must be the old or the new version); a few seconds in,
// POST /train {activate: "always"} runs on a separate worker process (WORKER=off, as in
// production) and the new version is activated mid-run. Goal: 0 errors, every answer from version
// 1 or 2, the switch seen by the API within a second; p50/p99 reported.
//   npm run bench -- load [--seconds 60] [--connections 100] [--inline | --compare]
// --inline: WORKER=inline. --compare: the separate worker, then the inline one, in one run (each
// on its own scratch database), and the ratio of their p99 while training (goal: inline ≤ 1.5x).
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import http from 'node:http'
import os from 'node:os'
import { fmt, fullFile, peakRssMiB, ROOT, scratchDatabase, startServer, table, upload, knownCustomerIds, trainAndWait } from './lib/common.ts'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

function option(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(name)
  return i >= 0 && args[i + 1] !== undefined ? Number(args[i + 1]) : fallback
}

interface Sample {
  at: number
  ms: number
  status: number
  version: number | null
}

function get(agent: http.Agent, port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ agent, port, host: '127.0.0.1', path }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => { body += c })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
      res.on('error', reject)
    })
    req.on('error', reject)
  })
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN

async function waitJob(base: string, id: string): Promise<any> {
  for (;;) {
    const job: any = await (await fetch(`${base}/jobs/${id}`)).json()
    if (!['queued', 'running'].includes(job.status)) return job
    await sleep(200)
  }
}

export async function run(args: string[]): Promise<void> {
  const seconds = option(args, '--seconds', args.includes('--quick') ? 15 : 60)
  const connections = option(args, '--connections', 100)
  if (!args.includes('--compare')) return void await measure(args.includes('--inline'), seconds, connections)
  const separate = await measure(false, seconds, connections)
  console.log('')
  const inline = await measure(true, seconds, connections)
  console.log(`\np99 while training: inline ${fmt(inline, 1)} ms / separate worker ${fmt(separate, 1)} ms = ${fmt(inline / separate, 2)}x (goal: ≤ 1.5x)`)
}

/** One run; resolves to the p99 of the requests sent while the second version trained. */
async function measure(inline: boolean, seconds: number, connections: number): Promise<number> {
  // The machine's load beside each run: the ratio means little if other work came or went between the halves.
  const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' ')
  const loadAtStart = load()
  const scratch = await scratchDatabase()
  const server = await startServer({ DATABASE_URL: scratch.url, WORKER: inline ? 'inline' : 'off' })
  const worker = inline
    ? null
    : spawn(process.execPath, ['src/worker.ts'], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', DATABASE_URL: scratch.url }, stdio: ['ignore', 'ignore', 'inherit'] })
  try {
    const up = await upload(server.port, fullFile())
    if (up.status !== 201) throw new Error(`upload: ${up.status}`)
    const post = (p: string, body: unknown) => fetch(`${server.base}${p}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
    const first = await trainAndWait(server.base, { seed: 1, activate: 'always' })
    const oldVersion = first.modelVersion as number

    const ids = await knownCustomerIds(server.base)

    const agent = new http.Agent({ keepAlive: true, maxSockets: connections })
    const samples: Sample[] = []
    let networkErrors = 0
    const started = performance.now()
    const end = started + seconds * 1000
    const client = async () => {
      while (performance.now() < end) {
        const path = `/predict/customer/${encodeURIComponent(ids[Math.floor(Math.random() * ids.length)]!)}`
        const t0 = performance.now()
        try {
          const res = await get(agent, server.port, path)
          let version: number | null = null
          if (res.status === 200) version = (JSON.parse(res.body) as { modelVersion: number }).modelVersion
          samples.push({ at: t0 - started, ms: performance.now() - t0, status: res.status, version })
        } catch {
          networkErrors++
        }
      }
    }
    const clients = Array.from({ length: connections }, client)

    // Train a new version a few seconds into the run; it is activated as soon as it is saved.
    await sleep(3000)
    const trainAt = performance.now() - started
    const job: any = await (await post('/train', { seed: 2, activate: 'always' })).json()
    const second = await waitJob(server.base, job.id)
    const doneAt = performance.now() - started
    await Promise.all(clients)
    agent.destroy()

    const newVersion = second.modelVersion as number | null
    const byVersion = new Map<string, number>()
    for (const s of samples) byVersion.set(String(s.version), (byVersion.get(String(s.version)) ?? 0) + 1)
    const non200 = samples.filter((s) => s.status !== 200).length
    const foreign = samples.filter((s) => s.status === 200 && s.version !== oldVersion && s.version !== newVersion).length
    const firstNew = samples.filter((s) => s.version === newVersion).reduce((m, s) => Math.min(m, s.at + s.ms), Infinity)
    const lastOld = samples.filter((s) => s.version === oldVersion).reduce((m, s) => Math.max(m, s.at), 0)
    const lat = samples.map((s) => s.ms).sort((a, b) => a - b)
    const during = samples.filter((s) => s.at >= trainAt && s.at <= doneAt).map((s) => s.ms).sort((a, b) => a - b)
    const elapsed = (performance.now() - started) / 1000

    console.log(`${connections} connections, ${seconds} s, worker ${inline ? 'inline (in the API process)' : 'separate process'}; ${ids.length} known customers\n`)
    table([
      { window: 'whole run', requests: lat.length, 'req/s': fmt(lat.length / elapsed, 0), 'p50 ms': fmt(percentile(lat, 50), 1), 'p90 ms': fmt(percentile(lat, 90), 1), 'p99 ms': fmt(percentile(lat, 99), 1), 'max ms': fmt(lat.at(-1) ?? NaN, 0) },
      { window: 'while training', requests: during.length, 'req/s': fmt(during.length / ((doneAt - trainAt) / 1000), 0), 'p50 ms': fmt(percentile(during, 50), 1), 'p90 ms': fmt(percentile(during, 90), 1), 'p99 ms': fmt(percentile(during, 99), 1), 'max ms': fmt(during.at(-1) ?? NaN, 0) },
    ])
    console.log(`\nerrors: ${non200} non-200, ${networkErrors} network, ${foreign} from a version other than ${oldVersion} or ${newVersion} (goal: 0)`)
    console.log(`versions served: ${[...byVersion].map(([v, n]) => `v${v} ${n}`).join(', ')}`)
    console.log(`training job ${second.status}: ${fmt((doneAt - trainAt) / 1000, 1)} s (${fmt(trainAt / 1000, 1)} → ${fmt(doneAt / 1000, 1)} s into the run), k = ${/^k = (\d+)/.exec((second.log as any[]).find((l) => /^k = /.test(l.message))?.message ?? '')?.[1] ?? '?'}`)
    console.log(`first answer from v${newVersion} ${fmt(firstNew / 1000 - doneAt / 1000, 2)} s after the job was seen finished; last request answered by v${oldVersion} started ${fmt(lastOld / 1000, 2)} s into the run`)
    console.log(`server peak RSS ${fmt(peakRssMiB(server.child.pid!), 0)} MiB`)
    console.log(`load average (1, 5, 15 min): ${loadAtStart} at the start, ${load()} at the end`)
    if (second.status !== 'succeeded' || doneAt / 1000 > elapsed) console.log('WARNING: the new version was not activated during the run')
    return percentile(during, 99)
  } finally {
    if (worker && worker.exitCode === null) {
      worker.kill('SIGTERM')
      await once(worker, 'exit')
    }
    await server.stop()
    await scratch.drop()
  }
}
