// The yardstick of bench/overhead.ts: a bare Fastify hello-world, its own process, no plugins,
// no logger.  bare-fastify.ts <port>
import Fastify from 'fastify'

const app = Fastify({ logger: false })
app.get('/', async () => ({ hello: 'world' }))
await app.listen({ port: Number(process.argv[2]), host: '127.0.0.1' })
process.on('SIGTERM', () => { void app.close().then(() => process.exit(0)) })
