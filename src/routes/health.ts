import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { pendingMigrations } from '../db/migrate.ts'
import { HttpProblem } from '../errors.ts'
import { problems } from '../schemas/problem.ts'

const Status = Type.Object({ status: Type.Literal('ok'), checks: Type.Optional(Type.Record(Type.String(), Type.String())) })

const health: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/health/live', { schema: { tags: ['operations'], summary: 'The process is up', response: { 200: Status } } }, async () => ({
    status: 'ok' as const,
  }))

  app.get(
    '/health/ready',
    { schema: { tags: ['operations'], summary: 'Database reachable and migrated', response: { 200: Status, ...problems(503) } } },
    async () => {
      try {
        await app.db.query('SELECT 1')
      } catch {
        throw new HttpProblem(503, 'Service Unavailable', 'the database does not answer')
      }
      const pending = await pendingMigrations(app.db)
      if (pending.length > 0) throw new HttpProblem(503, 'Service Unavailable', `migrations not applied: ${pending.join(', ')}`)
      if (!app.models.ready) throw new HttpProblem(503, 'Service Unavailable', 'the active model is not loaded yet')
      const model = app.models.activeVersion
      return { status: 'ok' as const, checks: { database: app.db.kind, migrations: 'applied', model: model === null ? 'none trained yet' : `version ${model}` } }
    },
  )
}

export default health
