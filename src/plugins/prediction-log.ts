// The sampled prediction log (src/drift/prediction-log.ts), flushed when the app closes.
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Config } from '../config.ts'
import { PredictionLog } from '../drift/prediction-log.ts'

declare module 'fastify' {
  interface FastifyInstance {
    predictionLog: PredictionLog
  }
}

export default fp(async function predictionLog(app: FastifyInstance, opts: { config: Config }) {
  const log = new PredictionLog(app.db, opts.config.predictionLogSample, opts.config.predictionLogMaxRows, app.log, 1000, opts.config.predictionLogMaxPerSecond)
  log.start()
  app.decorate('predictionLog', log)
  app.addHook('onClose', async () => log.stop())
})
