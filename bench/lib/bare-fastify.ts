// The yardstick of bench/overhead.ts: a bare Fastify hello-world, its own process, no plugins,
// no logger.  bare-fastify.ts <port> [response.json]
// With a response file ({ headers, body }, captured from our server), it also answers
// GET /predict/customer/:id with exactly that response: what the same bytes cost without any of
// our hooks, the ceiling for the predict route on this machine.
import { readFileSync } from 'node:fs'
import Fastify from 'fastify'

const app = Fastify({ logger: false })
app.get('/', async () => ({ hello: 'world' }))
if (process.argv[3]) {
  const { headers, body } = JSON.parse(readFileSync(process.argv[3], 'utf8')) as { headers: Record<string, string>; body: string }
  app.get('/predict/customer/:id', (_request, reply) => { reply.headers(headers).send(body) })
}
await app.listen({ port: Number(process.argv[2]), host: '127.0.0.1' })
process.on('SIGTERM', () => { void app.close().then(() => process.exit(0)) })
