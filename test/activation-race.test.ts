// Two trainings saving at once on a database with no active model yet: both activate. Before the
// advisory lock (src/registry/models.ts lockActivation) both saw no active_model row, both
// inserted it, and the loser's "duplicate key value violates unique constraint active_model_pkey"
// failed its whole job attempt: the attempts = 2 seen with two worker processes.
import t from 'tap'
import { openDatabase } from '../src/db/database.ts'
import { migrate } from '../src/db/migrate.ts'
import { activateIn } from '../src/registry/models.ts'
import { backend, freshConfig } from './helpers/db.ts'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

t.test('concurrent first activations', { skip: backend === 'postgres' ? false : 'needs two connections (set DATABASE_URL)' }, async (t) => {
  const db = await openDatabase(await freshConfig(t))
  await migrate(db)
  t.teardown(() => db.close())
  const insert = async () => (await db.query<{ version: number }>(
    `INSERT INTO model_versions (recipe, recipe_version, params, datasets, k, customers, metrics, cleaning, report, bundle)
     VALUES ('default', 1, '{}', '[]', 3, 0, '{}', '{}', '{}', '{}') RETURNING version`))[0]!.version
  const [a, b] = [await insert(), await insert()]
  // The first waits inside its transaction, so the second starts before it commits.
  const results = await Promise.allSettled([
    db.transaction(async (tx) => { const r = await activateIn(tx, a, 'test', 'a'); await sleep(300); return r }),
    (async () => { await sleep(100); return db.transaction((tx) => activateIn(tx, b, 'test', 'b')) })(),
  ])
  t.same(results.map((r) => r.status === 'rejected' ? String(r.reason) : r.value), [true, true], 'both activations succeed, one after the other')
  t.equal((await db.query<{ version: number }>('SELECT version FROM active_model'))[0]?.version, b, 'the later one is active')
  t.equal((await db.query('SELECT 1 FROM activations')).length, 2)
})
