// WORKER=inline: the API process also runs training jobs. It stops claiming and hands back a
// running job when the app closes.
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Config } from '../config.ts'
import { trainingJob } from '../jobs/train-job.ts'
import { startWorker, type WorkerOptions } from '../jobs/worker.ts'

export default fp(async function inlineWorker(app: FastifyInstance, opts: { config: Config; worker?: WorkerOptions }) {
  if (opts.config.worker !== 'inline') return
  app.addHook('onReady', async () => {
    const worker = startWorker(app.db, trainingJob(app.db), { logger: app.log, ...opts.worker })
    app.log.info({ worker: worker.id }, 'inline job worker started')
    app.addHook('onClose', async () => worker.stop())
  })
})
