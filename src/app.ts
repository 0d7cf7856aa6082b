// buildApp(config): the whole service as a Fastify instance, used by the server entry and by
// the tests (through inject and by listening for real).
import Fastify, { LogController, type FastifyInstance } from 'fastify'
import type { Config } from './config.ts'
import type { WorkerOptions } from './jobs/worker.ts'
import authPlugin from './plugins/auth.ts'
import dashboardPlugin from './plugins/dashboard.ts'
import dbPlugin from './plugins/db.ts'
import errorsPlugin from './plugins/errors.ts'
import metricsPlugin from './plugins/metrics.ts'
import modelsPlugin from './plugins/models.ts'
import predictionLogPlugin from './plugins/prediction-log.ts'
import protectionPlugin from './plugins/protection.ts'
import swaggerPlugin from './plugins/swagger.ts'
import workerPlugin from './plugins/worker.ts'
import datasetRoutes from './routes/datasets.ts'
import historyRoutes from './routes/history.ts'
import webhookRoutes from './routes/webhooks.ts'
import driftRoutes from './routes/drift.ts'
import healthRoutes from './routes/health.ts'
import jobRoutes from './routes/jobs.ts'
import mapRoutes from './routes/map.ts'
import modelRoutes from './routes/models.ts'
import predictRoutes from './routes/predict.ts'
import segmentRoutes from './routes/segments.ts'
import customerRoutes from './routes/customers.ts'
import scheduleRoutes from './routes/schedules.ts'

export interface BuildOptions {
  /** pino options or false; defaults to JSON logs at config.logLevel. */
  logger?: boolean | { level: string }
  /** Inline worker tuning (tests shorten its polling). */
  worker?: WorkerOptions
}

/** Requests slower than this are logged at info level (the others at debug). */
export const SLOW_REQUEST_MS = 1000

export async function buildApp(config: Config, options: BuildOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    // Nothing logs request headers today; the redaction keeps it that way for API keys.
    logger: options.logger ?? { level: config.logLevel, redact: ['req.headers.authorization'] },
    // Upload bodies are streamed and metered by their own route; JSON bodies stay small.
    bodyLimit: 10 * 1024 * 1024,
    requestIdHeader: 'x-request-id',
    // One line per request, from onResponse below, instead of Fastify's two (incoming, completed).
    // (Fastify 5.12 deprecated the top-level disableRequestLogging for this form.)
    logController: new LogController({ disableRequestLogging: true }),
    // A first start creates the embedded database, which can take longer than Fastify's 10 s.
    pluginTimeout: 120_000,
    ajv: { customOptions: { allErrors: true, coerceTypes: 'array', removeAdditional: false } },
  })
  // The access log: one line per request at debug level; at info when it failed (5xx) or was
  // slow (≥ 1 s). At info level a line per request cost ~13 % of the server's time under load
  // (writing to stdout synchronously; docs/benchmarks.md, "Request overhead"). LOG_LEVEL=debug
  // logs every request.
  app.addHook('onResponse', (request, reply, done) => {
    const ms = reply.elapsedTime
    const level = reply.statusCode >= 500 || ms >= SLOW_REQUEST_MS ? 'info' : 'debug'
    request.log[level]({ req: request, res: reply, responseTime: ms }, 'request completed')
    done()
  })
  await app.register(errorsPlugin)
  await app.register(protectionPlugin, { config })
  await app.register(swaggerPlugin)
  await app.register(authPlugin, { config })
  await app.register(dbPlugin, { config })
  await app.register(modelsPlugin)
  await app.register(predictionLogPlugin, { config })
  await app.register(metricsPlugin)
  await app.register(workerPlugin, { config, worker: options.worker })
  await app.register(healthRoutes)
  await app.register(datasetRoutes, { config })
  await app.register(jobRoutes)
  await app.register(scheduleRoutes)
  await app.register(modelRoutes, { config })
  await app.register(predictRoutes)
  await app.register(segmentRoutes)
  await app.register(customerRoutes)
  await app.register(driftRoutes, { config })
  // After drift, where it was registered from the dashboard plugin: the OpenAPI document keeps its path order.
  await app.register(mapRoutes)
  await app.register(historyRoutes)
  await app.register(webhookRoutes, { config })
  await app.register(dashboardPlugin)
  return app
}
