// Applies prisma/migrations/*/migration.sql in name order and records each in Prisma's own
// `_prisma_migrations` table (checksum = sha256 of the file), so the layout stays the one
// `prisma migrate deploy` would leave. The Prisma CLI cannot run here (it needs a native schema
// engine it cannot download), so the service applies its migrations itself, on both backends.
import { createHash, randomUUID } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { SqlRunner } from './database.ts'

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../prisma/migrations', import.meta.url))

export interface Migration {
  name: string
  sql: string
  checksum: string
}

export async function loadMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const names = (await readdir(dir, { withFileTypes: true }))
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort()
  return Promise.all(
    names.map(async (name) => {
      const sql = await readFile(path.join(dir, name, 'migration.sql'), 'utf8')
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') }
    }),
  )
}

const LEDGER = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id" VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum" VARCHAR(64) NOT NULL,
    "finished_at" TIMESTAMPTZ,
    "migration_name" VARCHAR(255) NOT NULL,
    "logs" TEXT,
    "rolled_back_at" TIMESTAMPTZ,
    "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count" INTEGER NOT NULL DEFAULT 0
)`

// Any fixed number: serialises concurrent start-ups (API and workers) on one database.
const LOCK_KEY = 72707271

/** Applies pending migrations; returns the names applied. Throws if an applied file changed. */
export async function migrate(db: SqlRunner, migrations?: Migration[]): Promise<string[]> {
  const all = migrations ?? (await loadMigrations())
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [LOCK_KEY])
    await tx.exec(LEDGER)
    const done = await tx.query<{ migration_name: string; checksum: string }>(
      'SELECT migration_name, checksum FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL',
    )
    const applied = new Map(done.map((r) => [r.migration_name, r.checksum]))
    const ran: string[] = []
    for (const m of all) {
      const checksum = applied.get(m.name)
      if (checksum !== undefined) {
        if (checksum !== m.checksum) throw new Error(`migration ${m.name} was changed after it was applied`)
        continue
      }
      await tx.exec(m.sql)
      await tx.query(
        'INSERT INTO "_prisma_migrations" (id, checksum, migration_name, finished_at, applied_steps_count) VALUES ($1, $2, $3, now(), 1)',
        [randomUUID(), m.checksum, m.name],
      )
      ran.push(m.name)
    }
    return ran
  })
}

/** Names of migrations in the folder that the database has not applied (for readiness). */
export async function pendingMigrations(db: SqlRunner, migrations?: Migration[]): Promise<string[]> {
  const all = migrations ?? (await loadMigrations())
  const exists = await db.query<{ t: string | null }>(`SELECT to_regclass('"_prisma_migrations"')::text AS t`)
  if (exists[0]?.t == null) return all.map((m) => m.name)
  const done = await db.query<{ migration_name: string }>(
    'SELECT migration_name FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL',
  )
  const names = new Set(done.map((r) => r.migration_name))
  return all.filter((m) => !names.has(m.name)).map((m) => m.name)
}
