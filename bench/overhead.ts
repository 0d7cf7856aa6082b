// Per-request overhead, auth on: a bare Fastify hello-world in its own process beside our server
// (production settings: keys, helmet, metrics, overload guard, info-level logging), the same
// autocannon load generator and connections for all three routes, in alternating rounds:
//   bare GET /          (the yardstick)
//   GET /health/live    (goal ≥ 0.6x the bare req/s)
//   GET /predict/customer/{id} with a read key  (goal ≥ 0.5x, p99 ≤ 2x the bare p99)
//   npm run bench -- overhead [--quick] [--rounds N] [--connections N] [--profile]
// --profile runs the server under --cpu-prof during one predict load and prints self time by
// module, which is how the hooks were chosen (docs/benchmarks.md, "Request overhead").
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import autocannon from 'autocannon'
import { ROOT, fmt, freePort, scratchDatabase, table } from './lib/common.ts'

const ADMIN = 'overhead-bench-admin-key-0123456789abcdef'
const READ = 'overhead-bench-read-key-0123456789abcdef'
const SAMPLE = path.join(ROOT, 'test', 'fixtures', 'online_retail_sample_445.csv.gz')

interface Run { rps: number; p50: number; p99: number; bad: number }

async function cannon(url: string, connections: number, seconds: number, paths: string[] | null, headers: Record<string, string> = {}): Promise<Run> {
  const result = await autocannon({
    url,
    connections,
    duration: seconds,
    headers,
    requests: paths ? [{ setupRequest: (req: any) => ({ ...req, path: paths[Math.floor(Math.random() * paths.length)] }) }] : undefined,
  })
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, bad: result.errors + result.timeouts + result.non2xx }
}

async function waitUp(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 120_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${url}: process exited`)
    if (await fetch(url).then((r) => r.ok, () => false)) return
    if (Date.now() > deadline) throw new Error(`${url}: not up after 120 s`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

export async function run(args: string[]): Promise<void> {
  const quick = args.includes('--quick')
  const seconds = quick ? 3 : 8
  const opt = (name: string, fallback: number) => { const i = args.indexOf(name); return i >= 0 ? Number(args[i + 1]) : fallback }
  const rounds = opt('--rounds', quick ? 1 : 3)
  const connections = opt('--connections', 50)
  const profile = args.includes('--profile')

  const barePort = await freePort()
  const bare = spawn(process.execPath, [path.join(ROOT, 'bench', 'lib', 'bare-fastify.ts'), String(barePort)], { stdio: ['ignore', 'ignore', 'inherit'] })
  const scratch = await scratchDatabase()
  const port = await freePort()
  const profDir = mkdtempSync(path.join(os.tmpdir(), 'rs-overhead-prof-'))
  const server = spawn(process.execPath, [...(profile ? ['--cpu-prof', '--cpu-prof-dir', profDir] : []), 'src/server.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', PORT: String(port), DATABASE_URL: scratch.url, API_KEYS: `admin:${ADMIN},read:${READ}`, LOG_LEVEL: 'info' },
    // Logs go where a production deployment sends them: a pipe that is read (here, discarded).
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  server.stdout!.resume()
  const base = `http://127.0.0.1:${port}`
  try {
    await Promise.all([waitUp(`http://127.0.0.1:${barePort}/`, bare), waitUp(`${base}/health/live`, server)])
    const admin = { authorization: `Bearer ${ADMIN}` }
    const up = await fetch(`${base}/datasets?name=sample`, { method: 'POST', headers: { ...admin, 'content-type': 'application/gzip' }, body: readFileSync(SAMPLE) })
    if (up.status !== 201) throw new Error(`upload: ${up.status} ${await up.text()}`)
    const job: any = await (await fetch(`${base}/train`, { method: 'POST', headers: { ...admin, 'content-type': 'application/json' }, body: JSON.stringify({ k: 4, seed: 1 }) })).json()
    const deadline = Date.now() + 300_000
    for (;;) {
      const j: any = await (await fetch(`${base}/jobs/${job.id}`, { headers: admin })).json()
      if (j.status === 'succeeded') break
      if (!['queued', 'running'].includes(j.status) || Date.now() > deadline) throw new Error(`training: ${j.status} ${j.error ?? ''}`)
      await new Promise((r) => setTimeout(r, 200))
    }
    const segments = (await (await fetch(`${base}/segments`, { headers: admin })).json()) as any[]
    const ids: string[] = []
    for (const s of segments) {
      const page: any = await (await fetch(`${base}/segments/${s.id}/customers?limit=10000`, { headers: admin })).json()
      ids.push(...page.items.map((i: any) => i.customerId))
    }
    const paths = ids.map((id) => `/predict/customer/${id}`)
    const read = { authorization: `Bearer ${READ}` }
    // Warm-up: both servers' code optimized before anything is counted.
    await cannon(`http://127.0.0.1:${barePort}/`, connections, 2, null)
    await cannon(`${base}/health/live`, connections, 2, null)
    await cannon(base, connections, 2, paths, read)

    if (profile) {
      await cannon(base, connections, seconds, paths, read)
      return
    }
    const runs: Record<'bare' | 'live' | 'predict', Run[]> = { bare: [], live: [], predict: [] }
    for (let r = 0; r < rounds; r++) {
      runs.bare.push(await cannon(`http://127.0.0.1:${barePort}/`, connections, seconds, null))
      runs.live.push(await cannon(`${base}/health/live`, connections, seconds, null))
      runs.predict.push(await cannon(base, connections, seconds, paths, read))
    }
    const m = (k: keyof typeof runs, f: keyof Run) => median(runs[k].map((x) => x[f]))
    const bareRps = m('bare', 'rps')
    const bareP99 = Math.max(m('bare', 'p99'), 1)
    const row = (name: string, k: keyof typeof runs) => ({
      route: name,
      'req/s (median)': fmt(m(k, 'rps'), 0),
      'req/s per round': runs[k].map((x) => fmt(x.rps, 0)).join(' / '),
      'p50 ms': m(k, 'p50'),
      'p99 ms': m(k, 'p99'),
      'x bare req/s': fmt(m(k, 'rps') / bareRps),
      'x bare p99': fmt(m(k, 'p99') / bareP99),
      'non-2xx/errors': runs[k].reduce((a, x) => a + x.bad, 0),
    })
    table([row('bare Fastify GET / (own process)', 'bare'), row('GET /health/live', 'live'), row('GET /predict/customer/{id}, read key', 'predict')])
    const liveX = m('live', 'rps') / bareRps
    const predictX = m('predict', 'rps') / bareRps
    const p99X = m('predict', 'p99') / bareP99
    console.log(`\n${connections} connections, ${seconds} s per run, ${rounds} rounds; customers ${ids.length}. Goals: live ≥ 0.6x (${fmt(liveX)}), predict ≥ 0.5x (${fmt(predictX)}), predict p99 ≤ 2x (${fmt(p99X)})`)
  } finally {
    bare.kill('SIGTERM')
    server.kill('SIGTERM')
    await Promise.all([once(bare, 'exit'), server.exitCode === null ? once(server, 'exit') : null])
    await scratch.drop()
    if (profile) printProfile(profDir)
    rmSync(profDir, { recursive: true, force: true })
  }
}

/** Self time by module (node_modules package or our file) from the server's CPU profile. */
function printProfile(dir: string): void {
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'))
  if (!file) return console.log('no CPU profile written')
  const prof = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as { nodes: { id: number; callFrame: { url: string; functionName: string } }[]; samples: number[] }
  const byId = new Map(prof.nodes.map((n) => [n.id, n]))
  const self = new Map<string, number>()
  for (const id of prof.samples) {
    const url = byId.get(id)?.callFrame.url ?? ''
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1]
    const key = pkg ?? (url.includes('/src/') ? `src/${url.split('/src/')[1]}` : url.startsWith('node:') ? 'node internals' : byId.get(id)?.callFrame.functionName || '(native, gc, idle)')
    self.set(key, (self.get(key) ?? 0) + 1)
  }
  const total = prof.samples.length
  if (process.env.PROFILE_FUNCTIONS) {
    const fns = new Map<string, number>()
    for (const id of prof.samples) {
      const f = byId.get(id)?.callFrame
      const key = `${f?.functionName || '(anonymous)'} ${(f?.url ?? '').replace(/.*node_modules\//, '').replace(/.*\/src\//, 'src/')}`
      fns.set(key, (fns.get(key) ?? 0) + 1)
    }
    table([...fns.entries()].sort((a, b) => b[1] - a[1]).slice(0, 40).map(([k, n]) => ({ function: k, 'self %': fmt((100 * n) / total, 1) })))
  }
  table([...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 20).map(([k, n]) => ({ module: k, 'self %': fmt((100 * n) / total, 1) })))
}
