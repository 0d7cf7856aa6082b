// The model cache each API instance serves from; started before the server listens.
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { ModelCache } from '../registry/cache.ts'

declare module 'fastify' {
  interface FastifyInstance {
    models: ModelCache
  }
}

export default fp(async function models(app: FastifyInstance, opts: { pollMs?: number }) {
  const cache = new ModelCache(app.db, app.log, opts.pollMs)
  app.decorate('models', cache)
  await cache.start()
  app.addHook('onClose', async () => cache.stop())
})
