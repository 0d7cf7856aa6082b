// WORKER=inline: the API process also runs training jobs (a pg-boss worker), each training in a
// worker thread of its own (src/training/thread.ts) so that predictions do not wait for it. It
// stops taking jobs and hands back a running one (its thread ended) when the app closes.
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Config } from '../config.ts'
import { trainingJob } from '../jobs/train-job.ts'
import { startWorker, type JobHandler, type WorkerOptions } from '../jobs/worker.ts'
import { policyOf } from '../webhooks/events.ts'

export default fp(async function inlineWorker(app: FastifyInstance, opts: { config: Config; worker?: WorkerOptions }) {
  if (opts.config.worker !== 'inline') return
  const webhooks = policyOf(opts.config)
  const train = trainingJob(app.db, webhooks, { thread: true })
  // Training time goes into this instance's /metrics.
  const timed: JobHandler = async (params, ctx) => {
    const started = performance.now()
    const recipe = String((params as { recipe?: string }).recipe ?? 'default')
    let status = 'failed'
    try {
      const result = await train(params, ctx)
      status = 'succeeded'
      return result
    } finally {
      app.metrics.trainingSeconds.observe({ recipe, status }, (performance.now() - started) / 1000)
    }
  }
  app.addHook('onReady', async () => {
    const worker = startWorker(app.db, timed, { logger: app.log, webhooks, ...opts.worker })
    app.log.info({ worker: worker.id }, 'inline job worker started')
    // A job queued by this process is picked up now rather than at the next poll.
    app.jobsQueued = () => worker.wake()
    app.addHook('onClose', async () => worker.stop())
  })
})
