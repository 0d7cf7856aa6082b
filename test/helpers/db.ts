// A fresh database for one test file, on the backend the suite runs against: with DATABASE_URL,
// a new database on that server (dropped afterwards); without it, embedded PGlite in a temporary
// folder, copied from a migrated template so each file does not pay PGlite's 5-7 s first start.
import { randomBytes } from 'node:crypto'
import { cp, mkdtemp, rename, rm, stat } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { loadConfig, type Config } from '../../src/config.ts'
import { openPglite } from '../../src/db/database.ts'
import { loadMigrations, migrate } from '../../src/db/migrate.ts'

export const backend: 'postgres' | 'pglite' = process.env.DATABASE_URL ? 'postgres' : 'pglite'

interface Teardown {
  teardown(fn: () => unknown): void
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(() => true, () => false)
}

async function pgliteTemplate(): Promise<string> {
  const migrations = await loadMigrations()
  const key = migrations.map((m) => m.checksum.slice(0, 8)).join('-')
  const dir = path.join(os.tmpdir(), 'retail-segments-pglite-templates', key)
  if (await exists(dir)) return dir
  const building = `${dir}.${process.pid}.${randomBytes(4).toString('hex')}`
  const db = await openPglite(building)
  await migrate(db, migrations)
  await db.close()
  // Another test process may have finished first; either copy is as good.
  await rename(building, dir).catch(async () => rm(building, { recursive: true, force: true }))
  return dir
}

export function databaseUrlFor(name: string): string {
  const url = new URL(process.env.DATABASE_URL ?? '')
  url.pathname = `/${name}`
  return url.toString()
}

/** Creates an empty database (no migrations) and returns its URL (postgres backend only). */
export async function createPostgresDatabase(t: Teardown): Promise<string> {
  const name = `rs_test_${process.pid}_${randomBytes(4).toString('hex')}`
  const admin = new pg.Client({ connectionString: process.env.DATABASE_URL })
  await admin.connect()
  await admin.query(`CREATE DATABASE ${name}`)
  await admin.end()
  t.teardown(async () => {
    const c = new pg.Client({ connectionString: process.env.DATABASE_URL })
    await c.connect()
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    await c.end()
  })
  return databaseUrlFor(name)
}

/** A service configuration pointing at a fresh database of the suite's backend. */
export async function freshConfig(t: Teardown, overrides: Partial<Config> = {}): Promise<Config> {
  // Overload protection is off in the suite (a loaded 2-core machine would trip it); the load
  // shedding test in test/auth.test.ts turns it on with its own limits.
  const base = loadConfig({ LOG_LEVEL: 'warn', MAX_EVENT_LOOP_DELAY_MS: '0', MAX_HEAP_USED_PERCENT: '0' })
  if (backend === 'postgres') {
    return { ...base, databaseUrl: await createPostgresDatabase(t), ...overrides }
  }
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'retail-segments-test-'))
  await cp(await pgliteTemplate(), path.join(dataDir, 'pglite'), { recursive: true })
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  return { ...base, databaseUrl: undefined, dataDir, ...overrides }
}
