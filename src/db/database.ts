// One database handle for the whole service, on either backend: real Postgres through a pg
// pool, or embedded Postgres (PGlite) in a local folder. Both expose the same SQL surface (plus
// Prisma Client on top), so every query and migration is shared; only bulk copy differs.
import { once } from 'node:events'
import { existsSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import v8 from 'node:v8'
import { Worker } from 'node:worker_threads'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { PGlite, Transaction as PGliteTx } from '@electric-sql/pglite'
import { PrismaPg } from '@prisma/adapter-pg'
import pg from 'pg'
import { from as copyFromStdin, to as copyToStdout } from 'pg-copy-streams'
import { PrismaClient } from '../generated/prisma/client.ts'

export interface SqlTx {
  query<R = Record<string, unknown>>(text: string, params?: unknown[]): Promise<R[]>
  /** Several statements at once, no parameters (migrations). */
  exec(sql: string): Promise<void>
  /** Bulk-loads CSV text (already escaped, one record per line) into `table (columns)`. */
  copyCsv(table: string, columns: readonly string[], csv: AsyncIterable<string | Uint8Array>): Promise<void>
}

export interface SqlRunner extends Omit<SqlTx, 'copyCsv'> {
  transaction<T>(fn: (tx: SqlTx) => Promise<T>): Promise<T>
  /**
   * Streams the result of a SELECT in Postgres' COPY text format (tab-separated, `\N` = NULL,
   * backslash escapes), without building row objects.
   */
  copyOut(select: string): AsyncIterable<Buffer>
}

export interface Database extends SqlRunner {
  readonly kind: 'postgres' | 'pglite'
  readonly prisma: PrismaClient
  /**
   * Calls `fn` on each NOTIFY on `channel`; resolves to an unsubscribe function. On Postgres a
   * dedicated connection listens (and reconnects); PGlite delivers its own notifications.
   */
  listen(channel: string, fn: (payload: string) => void): Promise<() => Promise<void>>
  /**
   * pg-boss's view of this database (src/jobs/boss.ts): one statement with parameters, or a
   * block of several without, with every result's rows.
   */
  readonly executeSql: (text: string, values?: unknown[]) => Promise<{ rows: unknown[] }>
  /** Runs `fn` first when the database is closed (the job queue stops before its connection goes). */
  onClose(fn: () => Promise<void>): void
  close(): Promise<void>
}

/** Runs the close hooks, newest first, then closes the handle itself. */
function closer(final: () => Promise<void>): { onClose(fn: () => Promise<void>): void; close(): Promise<void> } {
  const hooks: (() => Promise<void>)[] = []
  return {
    onClose: (fn) => { hooks.unshift(fn) },
    async close() {
      for (const fn of hooks.splice(0)) await fn()
      await final()
    },
  }
}

function copySql(table: string, columns: readonly string[], source: string): string {
  return `COPY ${table} (${columns.map((c) => `"${c}"`).join(', ')}) FROM ${source} WITH (FORMAT csv)`
}

// ---------------------------------------------------------------- real Postgres

function pgTx(client: pg.PoolClient): SqlTx {
  return {
    async query(text, params) {
      return (await client.query(text, params)).rows
    },
    async exec(sql) {
      await client.query(sql)
    },
    async copyCsv(table, columns, csv) {
      // One chunk (a parse batch) buffered ahead of the socket: the producer keeps its own window.
      await pipeline(Readable.from(csv, { highWaterMark: 1 }), client.query(copyFromStdin(copySql(table, columns, 'STDIN'))))
    },
  }
}

/** One transaction on a pooled client; a client whose ROLLBACK failed is discarded, not reused. */
async function poolTransaction<T>(pool: pg.Pool, fn: (tx: SqlTx) => Promise<T>): Promise<T> {
  const client = await pool.connect()
  let broken = false
  try {
    await client.query('BEGIN')
    const result = await fn(pgTx(client))
    await client.query('COMMIT')
    return result
  } catch (err) {
    try {
      await client.query('ROLLBACK')
    } catch {
      broken = true
    }
    throw err
  } finally {
    client.release(broken)
  }
}

export async function openPostgres(url: string): Promise<Database> {
  // Prisma's query compiler is WebAssembly, compiled on the first query. V8's optimizing tier
  // (TurboFan) cost 80 MiB of RSS for it, its baseline tier (Liftoff) 35 MiB, with the same
  // query times (docs/decisions.md). Only here: PGlite, Postgres itself in wasm, needs TurboFan.
  v8.setFlagsFromString('--liftoff-only')
  const pool = new pg.Pool({ connectionString: url, max: 10 })
  // An idle client whose server went away emits 'error'; without a listener it would crash the process.
  pool.on('error', () => {})
  // So does a checked-out client (an upload's transaction waiting for more of the body when the
  // server stops): its next query fails instead, the transaction rolls back, and it is discarded.
  pool.on('connect', (client) => { client.on('error', () => {}) })
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) })
  const closing = closer(async () => {
    await prisma.$disconnect()
    await pool.end()
  })
  return {
    kind: 'postgres',
    prisma,
    async executeSql(text, values) {
      // Without parameters node-postgres sends a multi-statement block and answers one result each.
      const res = (await pool.query(text, values)) as pg.QueryResult | pg.QueryResult[]
      return { rows: Array.isArray(res) ? res.flatMap((r) => r.rows ?? []) : res.rows }
    },
    onClose: closing.onClose,
    close: closing.close,
    async query(text, params) {
      return (await pool.query(text, params)).rows
    },
    async exec(sql) {
      await pool.query(sql)
    },
    async *copyOut(select) {
      const client = await pool.connect()
      // A consumer that stops early leaves the COPY running on the connection: it is discarded.
      let complete = false
      try {
        for await (const chunk of client.query(copyToStdout(`COPY (${select}) TO STDOUT`))) yield chunk as Buffer
        complete = true
      } finally {
        client.release(!complete)
      }
    },
    transaction: (fn) => poolTransaction(pool, fn),
    async listen(channel, fn) {
      let client: pg.Client | undefined
      let stopped = false
      const connect = async () => {
        const c = new pg.Client({ connectionString: url })
        c.on('notification', (n) => { if (n.channel === channel) fn(n.payload ?? '') })
        c.on('error', () => {
          // Reconnect after the server went away; polling covers the gap.
          if (!stopped) setTimeout(() => { connect().catch(() => {}) }, 1000).unref()
        })
        await c.connect()
        await c.query(`LISTEN "${channel.replaceAll('"', '')}"`)
        client = c
      }
      await connect()
      return async () => {
        stopped = true
        await client?.end().catch(() => {})
      }
    },
  }
}

// ---------------------------------------------------------------- embedded PGlite

// PGlite copies from an in-memory blob, so large loads go in slices of at least this size, each
// ending where a chunk ends with a newline: a chunk may be part of a row (a long field in slices).
const PGLITE_COPY_SLICE = 8 * 1024 * 1024

function pgliteTx(tx: PGliteTx | PGlite): SqlTx {
  return {
    async query(text, params) {
      return (await tx.query(text, params)).rows as never[]
    },
    async exec(sql) {
      await tx.exec(sql)
    },
    async copyCsv(table, columns, csv) {
      const sql = copySql(table, columns, `'/dev/blob'`)
      let parts: (string | Uint8Array)[] = []
      let size = 0
      const flush = async () => {
        if (size === 0) return
        await tx.query(sql, [], { blob: new Blob(parts) })
        parts = []
        size = 0
      }
      for await (const chunk of csv) {
        parts.push(chunk)
        size += chunk.length
        if (size >= PGLITE_COPY_SLICE && endsRow(chunk)) await flush()
      }
      await flush()
    },
  }
}

const endsRow = (chunk: string | Uint8Array) => (typeof chunk === 'string' ? chunk.endsWith('\n') : chunk[chunk.length - 1] === 0x0a)

/** Runs initdb for a new data directory in a thread of its own (src/db/pglite-init.ts). */
async function initPgliteInThread(dir: string, startParams: string[]): Promise<void> {
  const thread = new Worker(new URL('./pglite-init.ts', import.meta.url), { workerData: { dir, startParams } })
  let failure: unknown = null
  thread.on('error', (err) => { failure = err })
  const [code] = (await once(thread, 'exit')) as [number]
  if (failure !== null || code !== 0) throw new Error(`creating the embedded database in ${dir} failed (thread exit ${code})`, { cause: failure })
}

/** shared_buffers of the embedded database (Postgres' default is 128MB). */
export const PGLITE_SHARED_BUFFERS = '16MB'

export async function openPglite(dataDir: string): Promise<Database> {
  const dir = path.join(dataDir, 'pglite')
  // PGlite does not create the parent folders of its data directory.
  await mkdir(dataDir, { recursive: true })
  // Loaded only for the embedded backend: the module alone adds about 48 MiB to the process.
  const [{ PGlite }, { PrismaPGlite }, { fromPglite }] = await Promise.all([import('@electric-sql/pglite'), import('pglite-prisma-adapter'), import('pg-boss')])
  // Postgres' default shared_buffers (128 MB) lives in PGlite's WebAssembly memory, which never
  // shrinks: 16 MB cut the idle server by ~130 MiB at the same query times (docs/benchmarks.md).
  // The embedded database is one session on a laptop-sized data set; the OS page cache still
  // holds the files.
  const startParams = [...PGlite.defaultStartParams, '-c', `shared_buffers=${PGLITE_SHARED_BUFFERS}`]
  if (!existsSync(path.join(dir, 'PG_VERSION'))) await initPgliteInThread(dir, startParams)
  const lite = await PGlite.create(dir, { startParams })
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(lite) })
  const direct = pgliteTx(lite)
  // pg-boss's own PGlite adapter: it also rolls back a block that failed half-way, which a
  // single connection would otherwise carry into every later statement.
  const boss = fromPglite(lite)
  const closing = closer(async () => {
    await prisma.$disconnect()
    await lite.close()
  })
  return {
    kind: 'pglite',
    prisma,
    executeSql: (text, values) => boss.executeSql(text, values),
    onClose: closing.onClose,
    close: closing.close,
    query: direct.query,
    exec: direct.exec,
    transaction: (fn) => lite.transaction((tx) => fn(pgliteTx(tx))),
    async *copyOut(select) {
      // PGlite copies out into one in-memory blob: fine for the embedded, laptop-sized case.
      const res = await lite.query(`COPY (${select}) TO '/dev/blob'`)
      if (res.blob) yield Buffer.from(await res.blob.arrayBuffer())
    },
    async listen(channel, fn) {
      return lite.listen(channel, fn)
    },
  }
}

export function openDatabase(opts: { databaseUrl: string | undefined; dataDir: string }): Promise<Database> {
  return opts.databaseUrl ? openPostgres(opts.databaseUrl) : openPglite(opts.dataDir)
}
