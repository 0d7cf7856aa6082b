// The OpenAPI document is generated from the route schemas; /openapi.json serves it and /docs
// shows it in Swagger UI. openapi/openapi.json is the committed copy (npm run openapi).
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { Problem } from '../schemas/problem.ts'
import { Dataset } from '../schemas/datasets.ts'
import { JobSchema } from '../schemas/jobs.ts'
import { ActivationSchema, EvaluationSchema, ModelSchema } from '../schemas/models.ts'
import { WebhookSchema } from '../schemas/webhooks.ts'
import { ScheduleSchema } from '../schemas/schedules.ts'
import { PredictionSchema } from '../schemas/predict.ts'
import { SegmentSchema } from '../schemas/segments.ts'

export default fp(async function docs(app: FastifyInstance) {
  app.addSchema(Problem)
  app.addSchema(Dataset)
  for (const schema of [JobSchema, ModelSchema, ActivationSchema, EvaluationSchema, PredictionSchema, SegmentSchema, WebhookSchema, ScheduleSchema]) app.addSchema(schema)
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Retail Segments',
        version: '0.1.0',
        description: 'Customer segments from a retailer\'s transaction log: upload transactions, train, predict, export segments.',
      },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An API key from API_KEYS' } },
      },
    },
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
  })
  await app.register(swaggerUi, { routePrefix: '/docs' })
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())
})
