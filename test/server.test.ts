// The real process: `src/server.ts` started as ops start it, on the suite's backend. It gets
// ready, survives kill -9 in the middle of an upload without leaving anything behind, and shuts
// down cleanly on SIGTERM.
import { readFileSync } from 'node:fs'
import http from 'node:http'
import { once } from 'node:events'
import t from 'tap'
import { openDatabase } from '../src/db/database.ts'
import { backend, freshConfig } from './helpers/db.ts'
import { freePort, startProcess, waitReady } from './helpers/process.ts'

const start = (env: Record<string, string>) => startProcess('src/server.ts', env)

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
