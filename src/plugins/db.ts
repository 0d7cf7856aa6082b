// Opens the database (real Postgres or embedded PGlite, by configuration), applies pending
// migrations before any route is served, and closes it when the app closes.
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Config } from '../config.ts'
import { openDatabase, type Database } from '../db/database.ts'
import { migrate } from '../db/migrate.ts'

declare module 'fastify' {
  interface FastifyInstance {
    db: Database
  }
}

export default fp(async function db(app: FastifyInstance, opts: { config: Config }) {
  const started = Date.now()
  const database = await openDatabase(opts.config)
  const applied = await migrate(database)
  app.log.info({ backend: database.kind, migrationsApplied: applied, ms: Date.now() - started }, 'database ready')
  app.decorate('db', database)
  app.addHook('onClose', async () => database.close())
})
