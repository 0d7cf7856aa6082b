// Per-request overhead, auth on: a bare Fastify hello-world in its own process beside our server
// (production settings: keys, helmet, metrics, overload guard, info-level logging), the same
// autocannon load generator and connections for all routes, in alternating rounds:
//   bare GET /          (the yardstick)
//   GET /health/live    (goal ≥ 0.6x the bare req/s)
//   GET /predict/customer/{id} with a read key  (goal ≥ 0.5x, p99 ≤ 2x the bare p99)
//   npm run bench -- overhead [--quick] [--rounds N] [--seconds N] [--connections N] [--profile]
//                             [--per-request-paths] [--baseline-root DIR] [--same-response]
//                             [--baseline-node-args "ARGS"] [--baseline-env "K=V ..."] [--server-node-args "ARGS"]
// The predict load cycles through every known customer's request, each built once (autocannon's
// `requests` list), as the bare route's single request is. --per-request-paths adds the earlier
// method as its own row: a random path set by `setupRequest`, which makes autocannon rebuild the
// request each time (~15 µs of the load generator's CPU per request, on the same 2 cores).
// --same-response adds a bare Fastify (own process, no hooks) sending our exact predict response
// (security headers and body): what those bytes cost by themselves.
// --baseline-root runs a second server from another checkout (e.g. `git archive main` unpacked,
// with node_modules, src/generated and web/dist copied or linked in) on the same database, so
// before and after are measured in one run.
// --profile runs the server under --cpu-prof during one predict load and prints self time by
// module, which is how the hooks were chosen (docs/benchmarks.md, "Request overhead").
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import autocannon from 'autocannon'
import { SERVER_ENV, SERVER_NODE_ARGS } from '../src/process-settings.ts'
import { ROOT, fmt, freePort, scratchDatabase, table } from './lib/common.ts'

const ADMIN = 'overhead-bench-admin-key-0123456789abcdef'
const READ = 'overhead-bench-read-key-0123456789abcdef'
const SAMPLE = path.join(ROOT, 'test', 'fixtures', 'online_retail_sample_445.csv.gz')

interface Run { rps: number; p50: number; p99: number; bad: number; serverUs: number; clientUs: number }
/** What autocannon sends: one prebuilt request, a list of prebuilt ones, or a path set per request. */
type Load = { kind: 'fixed' } | { kind: 'list'; paths: string[] } | { kind: 'per-request'; paths: string[] }

function requestsFor(load: Load) {
  if (load.kind === 'list') return load.paths.map((p) => ({ path: p }))
  if (load.kind === 'per-request') {
    const paths = load.paths
    return [{ setupRequest: (req: any) => ({ ...req, path: paths[Math.floor(Math.random() * paths.length)] }) }]
  }
  return undefined
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux); NaN elsewhere. */
function cpuSeconds(pid: number | undefined): number {
  try {
    // The fields after the command's closing parenthesis: utime and stime are the 12th and 13th.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    return (Number(fields[11]) + Number(fields[12])) / 100 // USER_HZ is 100 on Linux
  } catch {
    return NaN
  }
}

/**
 * One autocannon run. Beside throughput and latency: the server's and the load generator's CPU
 * per request, which the shared cores' load does not change much (throughput it does).
 */
async function cannon(url: string, connections: number, seconds: number, load: Load, headers: Record<string, string> = {}, pid?: number): Promise<Run> {
  const server0 = cpuSeconds(pid)
  const client0 = process.cpuUsage()
  const result = await autocannon({ url, connections, duration: seconds, headers, requests: requestsFor(load) })
  const client = process.cpuUsage(client0)
  const n = Math.max(result.requests.total, 1)
  return {
    rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, bad: result.errors + result.timeouts + result.non2xx,
    serverUs: ((cpuSeconds(pid) - server0) * 1e6) / n,
    clientUs: (client.user + client.system) / n,
  }
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
const shuffled = <T>(xs: T[]) => xs.map((x) => [Math.random(), x] as const).sort((a, b) => a[0] - b[0]).map(([, x]) => x)
const loadAvg = () => os.loadavg().map((x) => x.toFixed(2)).join(' ')

function startServer(root: string, port: number, databaseUrl: string, extra: Record<string, string>, nodeArgs: string[]): ChildProcess {
  const server = spawn(process.execPath, [...nodeArgs, 'src/server.ts'], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', ...SERVER_ENV, NODE_ENV: 'production', PORT: String(port), DATABASE_URL: databaseUrl, API_KEYS: `admin:${ADMIN},read:${READ}`, LOG_LEVEL: 'info', ...extra },
    // Logs go where a production deployment sends them: a pipe that is read (here, discarded).
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  server.stdout!.resume()
  return server
}

/** Uploads the sample, trains version 1 and returns every known customer's predict path. */
async function trainSample(base: string): Promise<string[]> {
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
  return ids.map((id) => `/predict/customer/${id}`)
}

interface Target { name: string; url: string; load: Load; headers?: Record<string, string>; pid?: number }

export async function run(args: string[]): Promise<void> {
  const quick = args.includes('--quick')
  const opt = (name: string, fallback: string) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1]! : fallback }
  const seconds = Number(opt('--seconds', quick ? '3' : '8'))
  const rounds = Number(opt('--rounds', quick ? '1' : '3'))
  const connections = Number(opt('--connections', '50'))
  const profile = args.includes('--profile')
  // --baseline-node-args alone: the baseline is this checkout under other flags.
  const baselineArgs = opt('--baseline-node-args', '')
  // --baseline-env "PREDICTION_LOG_SAMPLE=0": the baseline is this checkout (unless --baseline-root) with other settings.
  const baselineEnv = Object.fromEntries(opt('--baseline-env', '').split(' ').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]))
  const baselineRoot = opt('--baseline-root', baselineArgs || Object.keys(baselineEnv).length > 0 ? ROOT : '')
  // --server-node-args "--max-semi-space-size=16": runs our server under other V8 flags than
  // SERVER_NODE_ARGS (src/process-settings.ts), e.g. to measure what the young generation's size costs.
  const serverArgs = opt('--server-node-args', SERVER_NODE_ARGS.join(' ')).split(' ').filter(Boolean)
  console.log(`load average at start: ${loadAvg()}`)

  const barePort = await freePort()
  const bare = spawn(process.execPath, [path.join(ROOT, 'bench', 'lib', 'bare-fastify.ts'), String(barePort)], { stdio: ['ignore', 'ignore', 'inherit'] })
  const scratch = await scratchDatabase()
  const port = await freePort()
  const profDir = mkdtempSync(path.join(os.tmpdir(), 'rs-overhead-prof-'))
  const servers = [startServer(ROOT, port, scratch.url, {}, [...serverArgs, ...(profile ? ['--cpu-prof', '--cpu-prof-dir', profDir] : [])])]
  const base = `http://127.0.0.1:${port}`
  const oldBase = baselineRoot ? `http://127.0.0.1:${await freePort()}` : ''
  let copyUrl = ''
  try {
    await Promise.all([waitUp(`http://127.0.0.1:${barePort}/`, bare), waitUp(`${base}/health/live`, servers[0]!)])
    const paths = shuffled(await trainSample(base))
    if (args.includes('--same-response')) {
      const sample = await fetch(`${base}${paths[0]}`, { headers: { authorization: `Bearer ${READ}` } })
      const keep = [...sample.headers].filter(([k]) => !['date', 'connection', 'keep-alive', 'content-length'].includes(k))
      const file = path.join(profDir, 'response.json')
      writeFileSync(file, JSON.stringify({ headers: Object.fromEntries(keep), body: await sample.text() }))
      const copyPort = await freePort()
      servers.push(spawn(process.execPath, [path.join(ROOT, 'bench', 'lib', 'bare-fastify.ts'), String(copyPort), file], { stdio: ['ignore', 'ignore', 'inherit'] }))
      await waitUp(`http://127.0.0.1:${copyPort}/`, servers.at(-1)!)
      copyUrl = `http://127.0.0.1:${copyPort}`
    }
    if (baselineRoot) {
      // The other checkout serves the same database (and so the same model); it runs no worker.
      servers.push(startServer(path.resolve(baselineRoot), Number(new URL(oldBase).port), scratch.url, { WORKER: 'off', ...baselineEnv }, baselineArgs ? baselineArgs.split(' ').filter(Boolean) : serverArgs))
      await waitUp(`${oldBase}/health/ready`, servers.at(-1)!)
    }
    const read = { authorization: `Bearer ${READ}` }
    const targets: Target[] = [
      { name: 'bare Fastify GET / (own process)', url: `http://127.0.0.1:${barePort}/`, load: { kind: 'fixed' }, pid: bare.pid },
      { name: 'GET /health/live', url: `${base}/health/live`, load: { kind: 'fixed' }, pid: servers[0]!.pid },
      { name: 'GET /predict/customer/{id}, read key', url: base, load: { kind: 'list', paths }, headers: read, pid: servers[0]!.pid },
    ]
    if (copyUrl) targets.push({ name: 'bare Fastify sending our predict response', url: copyUrl, load: { kind: 'list', paths }, headers: read, pid: servers[1]!.pid })
    if (args.includes('--per-request-paths')) targets.push({ name: 'predict, path set per request (setupRequest)', url: base, load: { kind: 'per-request', paths }, headers: read, pid: servers[0]!.pid })
    if (baselineRoot) {
      const pid = servers.at(-1)!.pid
      targets.push({ name: `baseline ${path.basename(baselineRoot)} ${baselineArgs}${opt('--baseline-env', '')}: GET /health/live`, url: `${oldBase}/health/live`, load: { kind: 'fixed' }, pid })
      targets.push({ name: `baseline ${path.basename(baselineRoot)} ${baselineArgs}${opt('--baseline-env', '')}: predict`, url: oldBase, load: { kind: 'list', paths }, headers: read, pid })
    }
    // Warm-up: every server's code optimized before anything is counted.
    for (const t of targets) await cannon(t.url, connections, 2, t.load, t.headers)
    if (profile) {
      await cannon(base, connections, seconds, { kind: 'list', paths }, read)
      return
    }
    const runs = targets.map(() => [] as Run[])
    for (let r = 0; r < rounds; r++) {
      for (const [i, t] of targets.entries()) runs[i]!.push(await cannon(t.url, connections, seconds, t.load, t.headers, t.pid))
    }
    report(targets, runs, { connections, seconds, rounds, customers: paths.length })
  } finally {
    bare.kill('SIGTERM')
    for (const s of servers) s.kill('SIGTERM')
    await Promise.all([once(bare, 'exit'), ...servers.map((s) => (s.exitCode === null ? once(s, 'exit') : null))])
    await scratch.drop()
    if (profile) printProfile(profDir)
    rmSync(profDir, { recursive: true, force: true })
  }
}

function report(targets: Target[], runs: Run[][], o: { connections: number; seconds: number; rounds: number; customers: number }): void {
  const m = (i: number, f: keyof Run) => median(runs[i]!.map((x) => x[f]))
  const bareRps = m(0, 'rps')
  const bareP99 = Math.max(m(0, 'p99'), 1)
  table(targets.map((t, i) => ({
    route: t.name,
    'req/s (median)': fmt(m(i, 'rps'), 0),
    'req/s per round': runs[i]!.map((x) => fmt(x.rps, 0)).join(' / '),
    'p50 ms': m(i, 'p50'),
    'p99 ms': m(i, 'p99'),
    'x bare req/s': fmt(m(i, 'rps') / bareRps),
    'x bare p99': fmt(m(i, 'p99') / bareP99),
    'server µs/req': fmt(m(i, 'serverUs'), 1),
    'client µs/req': fmt(m(i, 'clientUs'), 1),
    'non-2xx/errors': runs[i]!.reduce((a, x) => a + x.bad, 0),
  })))
  const liveX = m(1, 'rps') / bareRps
  const predictX = m(2, 'rps') / bareRps
  const p99X = m(2, 'p99') / bareP99
  console.log(`\n${o.connections} connections, ${o.seconds} s per run, ${o.rounds} rounds; customers ${o.customers}; load average at end: ${loadAvg()}. Goals: live ≥ 0.6x (${fmt(liveX)}), predict ≥ 0.5x (${fmt(predictX)}), predict p99 ≤ 2x (${fmt(p99X)})`)
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
