// The real process: `src/server.ts` started as ops start it, on the suite's backend. It gets
// ready, survives kill -9 in the middle of an upload without leaving anything behind, and shuts
// down cleanly on SIGTERM.
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import { once } from 'node:events'
import t from 'tap'
import { openDatabase } from '../src/db/database.ts'
import { backend, freshConfig } from './helpers/db.ts'

async function freePort(): Promise<number> {
  const srv = net.createServer().listen(0, '127.0.0.1')
  await once(srv, 'listening')
  const port = (srv.address() as net.AddressInfo).port
  srv.close()
  return port
}

function start(env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  return child
}

async function waitReady(port: number, ms = 60_000): Promise<number> {
  const started = Date.now()
  while (Date.now() - started < ms) {
    const status = await fetch(`http://127.0.0.1:${port}/health/ready`).then((r) => r.status, () => 0)
    if (status === 200) return Date.now() - started
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`not ready after ${ms} ms`)
}

t.test(`server process on ${backend}`, async (t) => {
  const config = await freshConfig(t)
  const port = await freePort()
  const env: Record<string, string> = { PORT: String(port), DATA_DIR: config.dataDir }
  if (config.databaseUrl) env.DATABASE_URL = config.databaseUrl

  let server = start(env)
  t.teardown(() => { server.kill('SIGKILL') })
  const readyMs = await waitReady(port)
  t.comment(`ready after ${readyMs} ms`)

  // Send half of the sample, let the server load it, then kill -9 the server mid-upload.
  const sample = readFileSync('test/fixtures/online_retail_sample_445.csv.gz')
  const req = http.request({ port, method: 'POST', path: '/datasets', headers: { 'content-type': 'application/gzip', 'content-length': sample.length } })
  req.on('error', () => {})
  req.write(sample.subarray(0, sample.length >> 1))
  await new Promise((r) => setTimeout(r, 800))
  server.kill('SIGKILL')
  await once(server, 'exit')

  server = start(env)
  await waitReady(port)
  const list = await (await fetch(`http://127.0.0.1:${port}/datasets`)).json()
  t.same(list, [], 'after restart: no dataset from the killed upload')

  server.kill('SIGTERM')
  const [code] = await once(server, 'exit')
  t.equal(code, 0, 'SIGTERM shuts down cleanly')

  const db = await openDatabase(config)
  const rows = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM transactions')
  await db.close()
  t.equal(rows[0]?.n, 0, 'and no orphan transaction rows')
})
