// `docker stop`: SIGTERM to the server process, started as the image starts it (`node
// src/server.ts` directly, NODE_ENV=production, keys set), while a request is in flight. The
// server logs its shutdown, answers the request it had already accepted, and exits 0.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import http from 'node:http'
import t from 'tap'
import { backend, freshConfig } from './helpers/db.ts'
import { freePort, waitReady } from './helpers/process.ts'

const ADMIN = 'shutdown-test-admin-key-0123456789'

t.test(`SIGTERM with a request in flight, on ${backend}`, async (t) => {
  const config = await freshConfig(t)
  const port = await freePort()
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'production',
    API_KEYS: `admin:${ADMIN}`,
    PORT: String(port),
    DATA_DIR: config.dataDir,
    LOG_LEVEL: 'info',
    MAX_EVENT_LOOP_DELAY_MS: '0',
    MAX_HEAP_USED_PERCENT: '0',
  }
  if (config.databaseUrl) env.DATABASE_URL = config.databaseUrl
  const server = spawn(process.execPath, ['src/server.ts'], { env, stdio: ['ignore', 'pipe', 'inherit'] })
  t.teardown(() => { server.kill('SIGKILL') })
  let log = ''
  server.stdout.on('data', (c: Buffer) => { log += c })
  await waitReady(port)

  // An upload whose body is still arriving when the signal comes.
  const body = readFileSync('test/fixtures/online_retail_sample_445.csv.gz')
  const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = http.request({ port, method: 'POST', path: '/datasets?name=in-flight', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/gzip', 'content-length': body.length } }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => { text += c })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }))
    })
    req.on('error', reject)
    req.write(body.subarray(0, body.length >> 1))
    // The signal goes once the server has logged the request, the rest of the body after it.
    const deadline = Date.now() + 30_000
    const poll = setInterval(() => {
      if (!log.includes('"url":"/datasets?name=in-flight"') && Date.now() < deadline) return
      clearInterval(poll)
      server.kill('SIGTERM')
      setTimeout(() => req.end(body.subarray(body.length >> 1)), 300)
    }, 20)
  })
  const exited = once(server, 'exit') as Promise<[number | null, NodeJS.Signals | null]>

  const res = await answer
  t.equal(res.status, 201, `the in-flight upload is answered: ${res.status} ${res.text.slice(0, 120)}`)
  t.match(JSON.parse(res.text), { name: 'in-flight', rows: { accepted: 36378 } }, 'and stored whole')
  const [code, signal] = await exited
  t.equal(signal, null, 'not killed by the signal')
  t.equal(code, 0, 'exit 0 after SIGTERM')
  const lines = log.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { msg: string; signal?: string })
  t.ok(lines.some((l) => l.msg === 'shutting down' && l.signal === 'SIGTERM'), 'the shutdown is logged, with its signal')
})
