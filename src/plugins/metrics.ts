// GET /metrics (Prometheus text, open like health): process defaults, request count and latency
// per route, predictions per segment, jobs by status, training duration and the active model.
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import { jobsByStatus, lastTrainingSeconds } from '../jobs/job-stats.ts'
import { FastCounter, FastHistogram } from './tally.ts'

declare module 'fastify' {
  interface FastifyInstance {
    metrics: { predictions: FastCounter; trainingSeconds: Histogram<'recipe' | 'status'> }
  }
}

export default fp(async function metrics(app: FastifyInstance) {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  // The three metrics updated on every request are tallied cheaply (tally.ts); the rest is prom-client's.
  const requests = new FastCounter('http_requests_total', 'HTTP requests by route and status', ['method', 'route', 'status'], registry)
  const latency = new FastHistogram('http_request_duration_seconds', 'HTTP request latency by route', ['method', 'route'],
    [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 60], registry)
  const predictions = new FastCounter('retail_segments_predictions_total', 'Predictions served by model version and segment', ['model_version', 'segment'], registry)
  const trainingSeconds = new Histogram({
    name: 'retail_segments_training_duration_seconds',
    help: 'Training job duration, for jobs run by this process (WORKER=inline)',
    labelNames: ['recipe', 'status'],
    buckets: [0.5, 1, 2, 5, 10, 30, 60, 300],
    registers: [registry],
  })
  new Gauge({
    name: 'retail_segments_jobs',
    help: 'Training jobs by status (from the database)',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      this.reset()
      for (const [status, n] of Object.entries(await jobsByStatus(app.db))) this.set({ status }, n)
    },
  })
  new Gauge({
    name: 'retail_segments_last_training_duration_seconds',
    help: 'Duration of the latest successful training job, whichever process ran it',
    registers: [registry],
    async collect() {
      this.set(await lastTrainingSeconds(app.db))
    },
  })
  new Gauge({
    name: 'retail_segments_active_model_info',
    help: 'The active model version served by this instance (value 1)',
    labelNames: ['version', 'recipe', 'k'],
    registers: [registry],
    async collect() {
      this.reset()
      const version = app.models.activeVersion
      if (version === null) return
      const m = await app.models.get(version)
      this.set({ version: String(version), recipe: m.bundle.recipe, k: String(m.bundle.segments.length) }, 1)
    },
  })
  app.decorate('metrics', { predictions, trainingSeconds })

  // A plain callback hook (no promise per request) with positional labels.
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched'
    requests.labels(request.method, route, String(reply.statusCode)).inc()
    latency.observe(latency.labels(request.method, route), reply.elapsedTime / 1000)
    done()
  })

  app.get('/metrics', { config: { role: 'open' }, schema: { tags: ['operations'], summary: 'Prometheus metrics', produces: ['text/plain'] } }, async (_request, reply) =>
    reply.type(registry.contentType).send(await registry.metrics()),
  )
})
