// Process entry for a standalone job worker (`npm run worker`, with WORKER=off on the API).
// Any number of them may share one database.
import pino from 'pino'
import { loadConfigOrExit } from './config.ts'
import { openDatabase } from './db/database.ts'
import { migrate } from './db/migrate.ts'
import { trainingJob } from './jobs/train-job.ts'
import { startWorker } from './jobs/worker.ts'
import { policyOf } from './webhooks/events.ts'

async function main() {
  const config = loadConfigOrExit()
  const log = pino({ level: config.logLevel })
  if (!config.databaseUrl) log.warn('no DATABASE_URL: a separate worker only makes sense on a shared Postgres; using the embedded database in DATA_DIR')
  const db = await openDatabase(config)
  await migrate(db)
  const webhooks = policyOf(config)
  // Fanned out, a training's merge is merge-range jobs; this process runs its own trainings' and
  // helps any other's (MERGE_FAN_OUT=off: neither).
  const fanOut = config.mergeFanOut
  const worker = startWorker(db, trainingJob(db, webhooks, { fanOut }), { logger: log, webhooks, mergeRanges: fanOut })
  log.info({ worker: worker.id }, 'worker started')
  const shutdown = (signal: string) => {
    log.info({ signal }, 'worker shutting down')
    worker.stop().then(() => db.close()).then(() => process.exit(0), () => process.exit(1))
  }
  process.on('SIGINT', () => shutdown('SIGINT'))
  process.on('SIGTERM', () => shutdown('SIGTERM'))
}

main().catch((err: unknown) => {
  console.error(err)
  process.exit(1)
})
