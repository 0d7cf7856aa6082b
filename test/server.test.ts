// The real process: `src/server.ts` started as ops start it, on the suite's backend. It gets
// ready, survives kill -9 in the middle of a large upload without leaving anything behind, and
// shuts down cleanly on SIGTERM.
import { readFileSync } from 'node:fs'
import pg from 'pg'
import http from 'node:http'
import { once } from 'node:events'
import t from 'tap'
import { openDatabase } from '../src/db/database.ts'
import { backend, freshConfig } from './helpers/db.ts'
import { freePort, startProcess, waitReady } from './helpers/process.ts'
import { FULL_DATA } from './helpers/data.ts'

const start = (env: Record<string, string>) => startProcess('src/server.ts', env)
const FULL = FULL_DATA

t.test(`server process on ${backend}`, async (t) => {
  const config = await freshConfig(t)
  const port = await freePort()
  const env: Record<string, string> = { PORT: String(port), DATA_DIR: config.dataDir }
  if (config.databaseUrl) env.DATABASE_URL = config.databaseUrl

  let server = start(env)
  t.teardown(() => { server.kill('SIGKILL') })
  const readyMs = await waitReady(port)
  t.comment(`ready after ${readyMs} ms`)

  // A large upload (the full UCI file), killed with -9 mid-way: on Postgres once the server's COPY
  // is seen running, so rows were being written when it died.
  const body = readFileSync(FULL)
  const req = http.request({ port, method: 'POST', path: '/datasets', headers: { 'content-type': 'application/gzip', 'content-length': body.length } })
  req.on('error', () => {})
  req.write(body.subarray(0, Math.floor(body.length * 0.6)))
  if (config.databaseUrl) {
    const watcher = new pg.Client({ connectionString: config.databaseUrl })
    await watcher.connect()
    let copying = 0
    for (let i = 0; i < 200 && copying === 0; i++) {
      copying = (await watcher.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE 'COPY transactions%' AND state = 'active'`)).rows[0].n
      if (copying === 0) await new Promise((r) => setTimeout(r, 50))
    }
    await watcher.end()
    t.equal(copying, 1, 'the server was in the middle of its COPY when killed')
    await new Promise((r) => setTimeout(r, 300))
  } else {
    await new Promise((r) => setTimeout(r, 1500))
  }
  server.kill('SIGKILL')
  await once(server, 'exit')
  req.destroy()

  server = start(env)
  await waitReady(port)
  const list = await (await fetch(`http://127.0.0.1:${port}/datasets`)).json()
  t.same(list, [], 'after restart: no dataset from the killed upload')

  server.kill('SIGTERM')
  const [code] = await once(server, 'exit')
  t.equal(code, 0, 'SIGTERM shuts down cleanly')

  const db = await openDatabase(config)
  const rows = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM transactions')
  // The killed upload's own table (src/datasets/partitions.ts) went with its transaction.
  const tables = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_class WHERE relname LIKE 'transactions\\_%'`)
  await db.close()
  t.equal(rows[0]?.n, 0, 'and no orphan transaction rows')
  t.equal(tables[0]?.n, 0, 'nor a partition or table of the killed upload')
})
