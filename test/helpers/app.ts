import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../src/app.ts'
import type { Config } from '../../src/config.ts'
import { freshConfig } from './db.ts'

interface Teardown {
  teardown(fn: () => unknown): void
}

/** The whole service on a fresh database of the suite's backend, closed after the test. */
export async function testApp(t: Teardown, overrides: Partial<Config> = {}): Promise<{ app: FastifyInstance; config: Config }> {
  const config = await freshConfig(t, overrides)
  const app = await buildApp(config, { logger: false })
  t.teardown(() => app.close())
  await app.ready()
  return { app, config }
}
