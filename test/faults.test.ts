// Postgres going away under a serving process. A private, throwaway cluster (initdb into a temp
// folder, its own port and socket folder) is stopped and started while a real server process
// (src/server.ts) uses it; the shared server at 5432 that other test files use is never touched.
// - while the database is down: /health/ready answers 503, /health/live 200, predictions keep
//   coming from the in-memory model, routes that need the database answer 503 problem+json with
//   Retry-After (not 500), and an upload in flight fails and leaves nothing behind;
// - once it is back: ready again without a restart, and a new training job runs, activates and is
//   served.
// Other faults are covered where they live: kill -9 mid-upload in test/server.test.ts, kill -9 of
// a worker mid-job in test/workers.test.ts.
import { execFile } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { chown, mkdtemp, rm } from 'node:fs/promises'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import t from 'tap'
import { backend } from './helpers/db.ts'
import { freePort, startProcess, stop, waitReady } from './helpers/process.ts'

const run = promisify(execFile)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

function postgresBin(): string | null {
  const root = '/usr/lib/postgresql'
  if (!existsSync(root)) return null
  const versions = readdirSync(root).filter((v) => existsSync(path.join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a))
  return versions[0] ? path.join(root, versions[0], 'bin') : null
}

const bin = postgresBin()
const skip = backend !== 'postgres' ? 'fault tests run with the Postgres suite (set DATABASE_URL)' : bin === null ? 'no PostgreSQL server binaries under /usr/lib/postgresql' : false

/** A cluster of our own: initdb, pg_ctl start/stop; as root, the binaries run as the postgres user. */
async function privateCluster(t: { teardown(fn: () => unknown): void }) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'rs-faults-pg-'))
  const asRoot = process.getuid?.() === 0
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres'])
    const { stdout: gid } = await run('id', ['-g', 'postgres'])
    await chown(dir, Number(stdout.trim()), Number(gid.trim()))
  }
  const exec = (tool: string, args: string[]) => {
    const file = path.join(bin!, tool)
    return asRoot ? run('runuser', ['-u', 'postgres', '--', file, ...args]) : run(file, args)
  }
  const port = await freePort()
  const data = path.join(dir, 'data')
  await exec('initdb', ['-A', 'trust', '-U', 'postgres', '-D', data, '--no-sync'])
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off`
  const cluster = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start: () => exec('pg_ctl', ['-D', data, '-l', path.join(dir, 'log'), '-o', options, '-w', 'start']),
    stop: () => exec('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']),
  }
  t.teardown(async () => {
    await cluster.stop().catch(() => undefined)
    await rm(dir, { recursive: true, force: true })
  })
  await cluster.start()
  return cluster
}

/** Streams `first`, waits for `between`, then the rest; resolves with the status and body. */
function slowUpload(port: number, body: Buffer, between: () => Promise<void>): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = http.request({ port, method: 'POST', path: '/datasets?name=interrupted', headers: { 'content-type': 'application/gzip', 'content-length': body.length } }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => { text += c })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }))
    })
    req.on('error', (err) => resolve({ status: 0, body: String(err) }))
    req.write(body.subarray(0, body.length >> 1))
    between().then(() => req.end(body.subarray(body.length >> 1)), () => req.destroy())
  })
}

t.test('Postgres stopped and started under a serving process', { skip, timeout: 240_000 }, async (t) => {
  const pg = await privateCluster(t)
  const port = await freePort()
  const base = `http://127.0.0.1:${port}`
  const server = startProcess('src/server.ts', { DATABASE_URL: pg.url, PORT: String(port), LOG_LEVEL: 'fatal' })
  t.teardown(() => stop(server, 'SIGKILL'))
  await waitReady(port)
  const get = (p: string) => fetch(base + p)
  const post = (p: string, body: unknown) => fetch(base + p, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  const train = async (body: unknown) => {
    const job: any = await (await post('/train', body)).json()
    for (let i = 0; i < 1200; i++) {
      const j: any = await (await get(`/jobs/${job.id}`)).json()
      if (!['queued', 'running'].includes(j.status)) return j
      await sleep(100)
    }
    throw new Error('training did not finish')
  }
  const counts = async () => {
    const d = ((await (await get('/datasets')).json()) as { rows: { accepted: number } }[])
    return { datasets: d.length, rows: d.reduce((n, x) => n + x.rows.accepted, 0) }
  }

  const sample = readFileSync('test/fixtures/online_retail_sample_445.csv.gz')
  const up = await fetch(`${base}/datasets`, { method: 'POST', headers: { 'content-type': 'application/gzip' }, body: sample })
  t.equal(up.status, 201)
  const first = await train({ k: 3, seed: 3, activate: 'always' })
  t.equal(first.status, 'succeeded')
  const customer = ((await (await get('/segments/0/customers?limit=1')).json()) as any).items[0].customerId as string
  t.equal(((await (await get(`/predict/customer/${customer}`)).json()) as any).modelVersion, first.modelVersion, 'serving version 1')
  const before = await counts()

  // Down, with an upload in flight: half of it is in the open transaction when the server stops.
  let downAt = 0
  const upload = slowUpload(port, sample, async () => {
    await sleep(500)
    downAt = Date.now()
    await pg.stop()
  })
  const interrupted = await upload
  t.ok(interrupted.status === 0 || interrupted.status >= 500, `the interrupted upload fails (${interrupted.status})`)

  let ready = await get('/health/ready')
  for (let i = 0; i < 50 && ready.status !== 503; i++) {
    await sleep(100)
    ready = await get('/health/ready')
  }
  t.equal(ready.status, 503, `/health/ready is 503 within ${Date.now() - downAt} ms of the stop`)
  t.match(ready.headers.get('content-type'), /^application\/problem\+json/)
  t.match(await ready.json(), { status: 503, detail: /database/ })
  t.equal((await get('/health/live')).status, 200, '/health/live stays 200: no restart wanted')
  const served = await get(`/predict/customer/${customer}`)
  t.equal(served.status, 200, 'predictions keep coming from the in-memory model')
  const list = await get('/datasets')
  t.equal(list.status, 503, 'a route that needs the database: 503, not 500')
  t.match(list.headers.get('content-type'), /^application\/problem\+json/)
  t.ok(Number(list.headers.get('retry-after')) > 0, `with Retry-After: ${list.headers.get('retry-after')}`)
  t.equal((await post('/train', { k: 3, seed: 4 })).status, 503, 'queueing a job: 503 too')
  await sleep(2000)
  t.equal((await get('/health/ready')).status, 503, 'still 503 while it is down')

  await pg.start()
  const upAt = Date.now()
  // waitReady throws past its deadline; how long it took is reported, not asserted.
  await waitReady(port, 60_000)
  t.pass(`ready again ${Date.now() - upAt} ms after Postgres is back, same process (pid ${server.pid}, still running: ${server.exitCode === null})`)
  t.equal(server.exitCode, null, 'the server process was never restarted')
  t.same(await counts(), before, 'the interrupted upload left no dataset and no rows')
  t.equal((await get(`/predict/customer/${customer}`)).status, 200, 'predictions resume')

  const second = await train({ k: 4, seed: 5, activate: 'always' })
  t.equal(second.status, 'succeeded', `a new training job succeeds after the outage (${second.error ?? 'ok'})`)
  let version = 0
  for (let i = 0; i < 50 && version !== second.modelVersion; i++) {
    version = ((await (await get(`/predict/customer/${customer}`)).json()) as any).modelVersion
    if (version !== second.modelVersion) await sleep(100)
  }
  t.equal(version, second.modelVersion, `and its version ${second.modelVersion} is served`)
})
