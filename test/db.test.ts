// Migrations and the Prisma schema cannot drift apart: the SQL is applied to a fresh database
// and every Prisma model is written and read back through Prisma Client on it.
import t from 'tap'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { openDatabase, openPglite, openPostgres } from '../src/db/database.ts'
import { loadMigrations, migrate, pendingMigrations } from '../src/db/migrate.ts'
import { backend, createPostgresDatabase, freshConfig } from './helpers/db.ts'
import { attachPartition, createPartition, dropPartition, partitionName } from '../src/datasets/partitions.ts'

t.test(`migrations and every Prisma model on ${backend}`, async (t) => {
  const config = await freshConfig(t)
  const db = await openDatabase(config)
  t.teardown(() => db.close())

  const all = await loadMigrations()
  t.ok(all.length >= 1, 'there are migrations')
  await migrate(db) // the PGlite template is already migrated; on Postgres this applies them all
  t.same(await pendingMigrations(db), [], 'nothing pending after migrate')
  t.same(await migrate(db), [], 'a second run applies nothing')
  const ledger = await db.query<{ migration_name: string; checksum: string }>('SELECT migration_name, checksum FROM "_prisma_migrations" ORDER BY migration_name')
  t.same(ledger.map((r) => r.migration_name), all.map((m) => m.name), 'each migration recorded in Prisma\'s ledger')
  t.same(ledger.map((r) => r.checksum), all.map((m) => m.checksum), 'with the sha256 of its file')

  const id = '00000000-0000-4000-8000-000000000001'
  await db.prisma.dataset.create({
    data: {
      id, name: 'n', sha256: 'abc', format: 'csv', bytes: 12n, rowsRead: 2, rowsAccepted: 1, rowsRejected: 1,
      rejections: [{ line: 3, reason: 'bad date' }], customers: 1, invoices: 1, countries: 1,
      dateFrom: new Date('2010-12-01T08:26:00Z'), dateTo: new Date('2010-12-01T08:26:00Z'),
    },
  })
  // Rows go into a dataset's partition (src/datasets/partitions.ts); without one they are refused.
  await t.rejects(db.prisma.transaction.create({
    data: { datasetId: id, line: 1, invoiceNo: 'x', stockCode: 'x', quantity: 1, invoiceDate: new Date(0), unitPrice: 1 },
  }), 'a row of a dataset with no partition is refused')
  // An upload holds no lock on transactions until its ATTACH (src/datasets/partitions.ts).
  const locks = await db.transaction(async (tx) => {
    const held = async () => (await tx.query<{ mode: string }>(`SELECT mode FROM pg_locks WHERE pid = pg_backend_pid() AND relation = 'transactions'::regclass ORDER BY mode`)).map((r) => r.mode)
    await createPartition(tx, id)
    const before = await held()
    await attachPartition(tx, id)
    return { before, after: await held() }
  })
  t.same(locks, { before: [], after: ['ShareUpdateExclusiveLock'] }, 'a new dataset\'s table locks transactions only once attached, and not against readers')
  await db.prisma.transaction.create({
    data: {
      datasetId: id, line: 2, invoiceNo: 'C536365', stockCode: '85123A', description: 'WHITE HANGING HEART T-LIGHT HOLDER',
      quantity: -6, invoiceDate: new Date('2010-12-01T08:26:00Z'), unitPrice: 2.55, customerId: '17850', country: 'United Kingdom',
    },
  })
  const back = { ...(await db.prisma.dataset.findUniqueOrThrow({ where: { id } })), transactions: await db.prisma.transaction.findMany({ where: { datasetId: id } }) }
  t.equal(back.bytes, 12n)
  t.same(back.rejections, [{ line: 3, reason: 'bad date' }])
  t.equal(back.dateFrom?.toISOString(), '2010-12-01T08:26:00.000Z', 'timestamps are wall-clock, read back as written')
  t.equal(back.transactions.length, 1)
  t.match(back.transactions[0], { line: 2, invoiceNo: 'C536365', stockCode: '85123A', quantity: -6, unitPrice: 2.55, customerId: '17850' })
  const fks = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_constraint WHERE conrelid = 'transactions'::regclass AND contype = 'f'`)
  t.equal(fks[0]?.n, 0, 'transactions carry no foreign key (bulk-load speed; see the schema)')
  const layout = await db.query<{ kind: string; indexes: number }>(
    `SELECT relkind::text AS kind, (SELECT count(*)::int FROM pg_index WHERE indrelid = 'transactions'::regclass) AS indexes FROM pg_class WHERE oid = 'transactions'::regclass`)
  t.same(layout, [{ kind: 'p', indexes: 0 }], 'transactions is partitioned, with no index (docs/decisions.md)')
  await db.prisma.transaction.deleteMany({ where: { datasetId: id } })
  await db.transaction((tx) => dropPartition(tx, id))
  await db.prisma.dataset.delete({ where: { id } })

  const job = await db.prisma.job.create({
    data: { id: '00000000-0000-4000-8000-000000000002', params: { recipe: 'default' }, paramsKey: 'k', idempotencyKey: 'idem-1', log: [{ at: 'x', level: 'info', message: 'queued' }] },
  })
  t.match(job, { status: 'queued', attempts: 0, maxAttempts: 3, progress: 0, cancelRequested: false })
  await t.rejects(db.prisma.job.create({ data: { id: '00000000-0000-4000-8000-000000000003', params: {}, paramsKey: 'k', idempotencyKey: 'idem-1' } }), 'idempotency keys are unique')
  const model = await db.prisma.modelVersion.create({
    data: {
      recipe: 'default', recipeVersion: 1, params: {}, datasets: [], k: 3, customers: 2, metrics: { silhouette: 0.3 }, cleaning: {}, report: {}, bundle: { formatVersion: 1 }, jobId: job.id,
      assignments: { create: [{ customerId: '12346', segment: 2, distances: [1.5, 0.25, 3], features: [325, 2, 0], products: ['23166'] }] },
    },
  })
  t.ok(model.version >= 1, 'versions are numbered by the database')
  await db.prisma.activeModel.create({ data: { version: model.version } })
  await db.prisma.activation.create({ data: { from: null, to: model.version, reason: 'first model', actor: 'test' } })
  t.equal((await db.prisma.activeModel.findUniqueOrThrow({ where: { id: 1 } })).version, model.version)
  t.match(await db.prisma.activation.findFirstOrThrow(), { from: null, to: model.version, actor: 'test' })
  const a = await db.prisma.assignment.findUniqueOrThrow({ where: { version_customerId: { version: model.version, customerId: '12346' } } })
  t.same({ distances: a.distances, features: a.features, products: a.products, outlier: a.outlier }, { distances: [1.5, 0.25, 3], features: [325, 2, 0], products: ['23166'], outlier: false }, 'arrays round-trip')
  await db.prisma.modelVersion.delete({ where: { version: model.version } })
  t.equal(await db.prisma.assignment.count(), 0, 'assignments go with their version')

  const features = await db.prisma.datasetFeatures.create({ data: { datasetId: id, recipes: 'seed:1,default:1', build: { seed: {} } } })
  t.match(await db.prisma.datasetFeatures.findUniqueOrThrow({ where: { datasetId: id } }), { recipes: 'seed:1,default:1', build: { seed: {} } })
  await db.prisma.datasetFeatures.delete({ where: { datasetId: features.datasetId } })
  await db.prisma.predictionLog.create({ data: { modelVersion: 1, segment: 0, features: [1, 2.5] } })
  t.same((await db.prisma.predictionLog.findFirstOrThrow()).features, [1, 2.5], 'prediction log rows round-trip')
  const batch = '00000000-0000-4000-8000-0000000000b1'
  await db.prisma.mergePart.create({ data: { batch, index: 3, bytes: new Uint8Array([1, 2, 3]) } })
  t.same(Array.from((await db.prisma.mergePart.findUniqueOrThrow({ where: { batch_index: { batch, index: 3 } } })).bytes), [1, 2, 3], 'merge parts round-trip')
  await db.prisma.mergePart.deleteMany({ where: { batch } })

  const changed = all.map((m, i) => (i === 0 ? { ...m, checksum: 'f'.repeat(64) } : m))
  await t.rejects(migrate(db, changed), /was changed after it was applied/, 'an edited, applied migration is refused')
})

t.test(`the partitioning migration keeps existing rows on ${backend}`, async (t) => {
  // An empty database (not the suite's migrated template), migrated up to the migration before it.
  let db
  if (backend === 'postgres') db = await openPostgres(await createPostgresDatabase(t))
  else {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'retail-segments-partitions-'))
    t.teardown(() => rm(dir, { recursive: true, force: true }))
    db = await openPglite(path.join(dir, 'pglite'))
  }
  t.teardown(() => db.close())
  const all = await loadMigrations()
  const at = all.findIndex((m) => m.name.endsWith('_transactions_partitioned'))
  t.ok(at > 0, 'the migration exists')
  await migrate(db, all.slice(0, at))
  const a = '00000000-0000-4000-8000-00000000000a'
  const b = '00000000-0000-4000-8000-00000000000b'
  const orphan = '00000000-0000-4000-8000-00000000000c'
  for (const id of [a, b]) {
    await db.query(`INSERT INTO datasets (id, name, sha256, format, bytes, rows_read, rows_accepted, rows_rejected, rejections, customers, invoices, countries)
      VALUES ($1, 'n', $2, 'csv', 1, 1, 1, 0, '[]', 1, 1, 1)`, [id, `sha-${id}`])
  }
  // a: a workbook's two sheets (lines restart); b: one CSV row; a row whose dataset is gone.
  await db.query(`INSERT INTO transactions (dataset_id, sheet, line, invoice_no, stock_code, description, quantity, invoice_date, unit_price, customer_id, country) VALUES
    ($1, 1, 2, 'i1', 's1', 'd1', 1, '2011-01-02 03:04:05', 1.5, '17850', 'UK'), ($1, 2, 2, 'i2', 's2', NULL, -2, '2011-02-03 04:05:06', 2.5, NULL, NULL),
    ($2, 0, 2, 'i3', 's3', 'd3', 3, '2011-03-04 05:06:07', 3.5, '13047', 'France'), ($3, 0, 7, 'i4', 's4', 'd4', 4, '2011-04-05 06:07:08', 4.5, '1', 'X')`, [a, b, orphan])
  const rows = () => db.query(`SELECT dataset_id::text, sheet, line, invoice_no, stock_code, description, quantity, invoice_date::text, unit_price, customer_id, country
    FROM transactions ORDER BY dataset_id, sheet, line`)
  const before = await rows()
  t.same(await migrate(db, all), all.slice(at).map((m) => m.name), 'the rest applied')
  t.same(await rows(), before, 'every row kept, every column as it was')
  const parts = await db.query<{ name: string }>(`SELECT inhrelid::regclass::text AS name FROM pg_inherits WHERE inhparent = 'transactions'::regclass ORDER BY 1`)
  t.same(parts.map((p) => p.name), [a, b, orphan].map(partitionName), 'one partition per dataset id')
  t.equal(await db.query(`SELECT 1 FROM pg_class WHERE relname = 'transactions_unpartitioned'`).then((r) => r.length), 0, 'the old table is gone')
  await db.transaction((tx) => dropPartition(tx, a))
  t.same((await rows()).map((r) => (r as { dataset_id: string }).dataset_id), [b, orphan], 'a dropped partition takes exactly its dataset\'s rows')
})
