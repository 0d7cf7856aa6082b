// GET /health/ready's checks, in the order a new instance passes them: the database answers, its
// migrations are applied, the active model (if any) is loaded. The first that fails is a 503.
import { HttpProblem } from '../errors.ts'
import type { ModelCache } from '../registry/cache.ts'
import type { Database } from './database.ts'
import { pendingMigrations } from './migrate.ts'

export async function readiness(db: Database, models: Pick<ModelCache, 'ready' | 'activeVersion'>): Promise<Record<string, string>> {
  try {
    await db.query('SELECT 1')
  } catch {
    throw new HttpProblem(503, 'Service Unavailable', 'the database does not answer')
  }
  const pending = await pendingMigrations(db)
  if (pending.length > 0) throw new HttpProblem(503, 'Service Unavailable', `migrations not applied: ${pending.join(', ')}`)
  if (!models.ready) throw new HttpProblem(503, 'Service Unavailable', 'the active model is not loaded yet')
  const model = models.activeVersion
  return { database: db.kind, migrations: 'applied', model: model === null ? 'none trained yet' : `version ${model}` }
}
