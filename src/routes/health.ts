// Liveness and readiness (open, like GET /metrics): the checks are src/db/readiness.ts.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { readiness } from '../db/readiness.ts'
import { problems } from '../schemas/problem.ts'

const Status = Type.Object({ status: Type.Literal('ok'), checks: Type.Optional(Type.Record(Type.String(), Type.String())) })

const health: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/health/live', { schema: { tags: ['operations'], summary: 'The process is up', response: { 200: Status } } }, async () => ({
    status: 'ok' as const,
  }))

  app.get(
    '/health/ready',
    { schema: { tags: ['operations'], summary: 'Database reachable and migrated', response: { 200: Status, ...problems(503) } } },
    async () => ({ status: 'ok' as const, checks: await readiness(app.db, app.models) }),
  )
}

export default health
