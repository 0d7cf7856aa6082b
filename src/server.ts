// Process entry: configuration → app → listen; SIGINT/SIGTERM close the app gracefully
// (in-flight requests finish, the database is closed) before the process exits.
import { buildApp } from './app.ts'
import { loadConfigOrExit } from './config.ts'

async function main() {
  const config = loadConfigOrExit()
  const app = await buildApp(config)
  app.log.info({ backend: config.databaseUrl ? 'postgres' : 'pglite', dataDir: config.databaseUrl ? undefined : config.dataDir }, 'starting')
  let closing = false
  const shutdown = (signal: string) => {
    if (closing) return
    closing = true
    app.log.info({ signal }, 'shutting down')
    const force = setTimeout(() => process.exit(1), 30_000)
    force.unref()
    app.close().then(
      () => process.exit(0),
      (err: unknown) => {
        app.log.error({ err }, 'error while shutting down')
        process.exit(1)
      },
    )
  }
  process.on('SIGINT', () => shutdown('SIGINT'))
  process.on('SIGTERM', () => shutdown('SIGTERM'))
  await app.listen({ port: config.port, host: config.host })
}

main().catch((err: unknown) => {
  console.error(err)
  process.exit(1)
})
