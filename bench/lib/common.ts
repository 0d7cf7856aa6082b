// Shared by the benchmarks: real server processes, their peak RSS, streaming uploads, scratch
// databases, and the data files (the full UCI file from test/fixtures/, larger files made from it).
import { spawn, type ChildProcess } from 'node:child_process'
import { createReadStream, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs'
import { once } from 'node:events'
import http from 'node:http'
import net from 'node:net'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { writeScaled } from './scaled.ts'
import { SERVER_ENV, SERVER_NODE_ARGS } from '../../src/process-settings.ts'

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))
export const OUT = path.join(ROOT, 'bench', 'out')
export const PG_URL = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'

export function fullFile(): string {
  const file = process.env.BENCH_FILE ?? path.join(ROOT, 'test', 'fixtures', 'online_retail.csv.gz')
  if (!existsSync(file)) throw new Error(`${file} not found: set BENCH_FILE to the full UCI Online Retail CSV (gzipped)`)
  return file
}

/**
 * The full file copied `copies` times with shifted ids, cached under bench/out; `first` > 0 makes
 * a file of other customers and invoices (copies first .. first + copies - 1).
 */
export async function scaledFile(copies: number, first = 0): Promise<string> {
  mkdirSync(OUT, { recursive: true })
  const target = path.join(OUT, first === 0 ? `online_retail_x${copies}.csv.gz` : `online_retail_x${copies}_from${first}.csv.gz`)
  if (!existsSync(target)) await writeScaled(fullFile(), target, copies, first)
  return target
}

export const mib = (bytes: number) => bytes / 2 ** 20

/** Peak resident set size of a live process (VmHWM), in MiB. */
export function peakRssMiB(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m ? Number(m[1]) / 1024 : NaN
}

export async function freePort(): Promise<number> {
  const srv = net.createServer().listen(0, '127.0.0.1')
  await once(srv, 'listening')
  const port = (srv.address() as net.AddressInfo).port
  srv.close()
  return port
}

export interface Server {
  port: number
  child: ChildProcess
  base: string
  stop(): Promise<void>
}

export async function startServer(env: Record<string, string>): Promise<Server> {
  const port = await freePort()
  // Started as `npm start` starts it (src/process-settings.ts); BENCH_SERVER_ARGS adds node flags
  // (space-separated) for a look inside a run, e.g. `--cpu-prof --cpu-prof-dir=bench/out/prof`.
  const extra = (process.env.BENCH_SERVER_ARGS ?? '').split(' ').filter(Boolean)
  const child = spawn(process.execPath, [...SERVER_NODE_ARGS, ...extra, 'src/server.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...SERVER_ENV, LOG_LEVEL: 'warn', PORT: String(port), MAX_UPLOAD_BYTES: String(2 ** 31), ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  const base = `http://127.0.0.1:${port}`
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error('server exited during start-up')
    const ok = await fetch(`${base}/health/ready`).then((r) => r.ok, () => false)
    if (ok) break
    if (i > 1200) throw new Error('server not ready after 120 s')
    await new Promise((r) => setTimeout(r, 100))
  }
  return {
    port,
    child,
    base,
    async stop() {
      if (child.exitCode !== null) return
      child.kill('SIGTERM')
      await once(child, 'exit')
    },
  }
}

/** Streams a file to POST /datasets; resolves with the status, body and milliseconds taken. */
export function upload(port: number, file: string, contentType = 'application/gzip'): Promise<{ status: number; body: any; ms: number }> {
  const started = performance.now()
  return new Promise((resolve, reject) => {
    const req = http.request({ port, method: 'POST', path: '/datasets', headers: { 'content-type': contentType, 'content-length': statSync(file).size } }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => { text += c })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text), ms: performance.now() - started }))
    })
    req.on('error', reject)
    createReadStream(file).pipe(req)
  })
}

/** A scratch database on the benchmark Postgres; dropped by the returned function. */
export async function scratchDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `rs_bench_${process.pid}_${Date.now()}`
  const admin = new pg.Client({ connectionString: PG_URL })
  await admin.connect()
  await admin.query(`CREATE DATABASE ${name}`)
  await admin.end()
  const url = new URL(PG_URL)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: PG_URL })
      await c.connect()
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      await c.end()
    },
  }
}

/** Runs a script of bench/lib as a child process; it prints one JSON line, returned parsed. */
export async function runChild(script: string, args: string[], env: Record<string, string> = {}): Promise<any> {
  const child = spawn(process.execPath, [path.join(ROOT, 'bench', 'lib', script), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  let out = ''
  child.stdout.setEncoding('utf8')
  child.stdout.on('data', (c: string) => { out += c })
  const [code] = await once(child, 'exit')
  if (code !== 0) throw new Error(`${script} exited with ${code}`)
  return JSON.parse(out.trim().split('\n').pop() ?? '{}')
}

export const fmt = (n: number, digits = 2) => n.toFixed(digits)

export function table(rows: Record<string, string | number>[]): void {
  const cols = Object.keys(rows[0] ?? {})
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c]).length)))
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(width[i]!)).join(' | ')} |`
  console.log(line(cols))
  console.log(line(width.map((w) => '-'.repeat(w))))
  for (const r of rows) console.log(line(cols.map((c) => String(r[c]))))
}

/** POST /train with `body`, then polls the job until it ends; throws unless it succeeded. */
export async function trainAndWait(base: string, body: object = {}): Promise<any> {
  const res = await fetch(`${base}/train`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  const job: any = await res.json()
  if (res.status !== 202) throw new Error(`POST /train: ${res.status} ${JSON.stringify(job)}`)
  for (;;) {
    const j: any = await (await fetch(`${base}/jobs/${job.id}`)).json()
    if (j.status === 'succeeded') return j
    if (j.status !== 'queued' && j.status !== 'running') throw new Error(`training ${j.status}: ${j.error}`)
    await new Promise((r) => setTimeout(r, 200))
  }
}

/** Every customer of the active model, read page by page from the segments' member lists. */
export async function knownCustomerIds(base: string): Promise<string[]> {
  const segments = (await (await fetch(`${base}/segments`)).json()) as any[]
  const ids: string[] = []
  for (const s of segments) {
    let cursor: string | null = null
    do {
      const page: any = await (await fetch(`${base}/segments/${s.id}/customers?limit=10000${cursor ? `&cursor=${cursor}` : ''}`)).json()
      ids.push(...page.items.map((i: any) => i.customerId))
      cursor = page.nextCursor
    } while (cursor)
  }
  return ids
}

/**
 * Runs `fn` against a server on a scratch database, with the full file uploaded and a model
 * trained on it; stops the server and drops the database afterwards.
 */
export async function withTrainedServer<T>(fn: (server: Server, ctx: { databaseUrl: string; datasetId: string }) => Promise<T>): Promise<T> {
  const scratch = await scratchDatabase()
  const server = await startServer({ DATABASE_URL: scratch.url })
  try {
    const up = await upload(server.port, fullFile())
    if (up.status !== 201) throw new Error(`upload: ${up.status}`)
    await trainAndWait(server.base)
    return await fn(server, { databaseUrl: scratch.url, datasetId: up.body.id })
  } finally {
    await server.stop()
    await scratch.drop()
  }
}
