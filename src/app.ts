// buildApp(config): the whole service as a Fastify instance, used by the server entry and by
// the tests (through inject and by listening for real).
import Fastify, { type FastifyInstance } from 'fastify'
import type { Config } from './config.ts'
import dbPlugin from './plugins/db.ts'
import errorsPlugin from './plugins/errors.ts'
import swaggerPlugin from './plugins/swagger.ts'
import datasetRoutes from './routes/datasets.ts'
import healthRoutes from './routes/health.ts'

export interface BuildOptions {
  /** pino options or false; defaults to JSON logs at config.logLevel. */
  logger?: boolean | { level: string }
}

export async function buildApp(config: Config, options: BuildOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? { level: config.logLevel },
    // Upload bodies are streamed and metered by their own route; JSON bodies stay small.
    bodyLimit: 10 * 1024 * 1024,
    requestIdHeader: 'x-request-id',
    ajv: { customOptions: { allErrors: true, coerceTypes: 'array', removeAdditional: false } },
  })
  await app.register(errorsPlugin)
  await app.register(swaggerPlugin)
  await app.register(dbPlugin, { config })
  await app.register(healthRoutes)
  await app.register(datasetRoutes, { config })
  return app
}
