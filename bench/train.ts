// Training from stored data (real Postgres), both recipes, on the full UCI file and a 10x file,
// and on the full file split in three overlapping parts uploaded as three datasets, against a
// read-only pass over the same stored rows measured in the same run. Uploads go through the
// service's ingest threads (UploadThreads), so each dataset has what an upload stores.
import { createReadStream } from 'node:fs'
import { Readable } from 'node:stream'
import type { Database } from '../src/db/database.ts'
import { openDatabase } from '../src/db/database.ts'
import { migrate } from '../src/db/migrate.ts'
import { UploadThreads } from '../src/datasets/encode-thread.ts'
import { storeUpload } from '../src/datasets/store.ts'
import { fmt, fullFile, runChild, scaledFile, scratchDatabase, table } from './lib/common.ts'
import { overlappingParts } from '../test/helpers/data.ts'

const LIMITS = { maxBytes: 2 ** 40, maxInflatedBytes: 2 ** 40 }

async function upload(db: Database, threads: UploadThreads, source: Readable, type: string, name: string) {
  return (await storeUpload(db, (id) => threads.encode(source, { contentType: type, ...LIMITS }, id), name)).dataset
}

async function trainings(url: string, db: Database, ids: string[], file: string, rowsRead: number, rows: Record<string, string | number>[], modes: readonly ('stored' | 'from transactions')[]) {
  const base = await runChild('train-once.ts', [url, ids.join(','), 'read-only'])
  for (const features of modes) {
    // "from transactions": nothing stored for the datasets, so the training streams every
    // transaction out of the database first (what a dataset without stored state costs).
    if (features === 'from transactions') {
      for (const t of ['dataset_features', 'dataset_aggregates']) await db.query(`DELETE FROM ${t} WHERE dataset_id = ANY($1::uuid[])`, [ids])
    }
    for (const recipe of ['original', 'default'] as const) {
      const r = await runChild('train-once.ts', [url, ids.join(','), recipe])
      rows.push({
        file, datasets: ids.length, rows: rowsRead, features, recipe, customers: r.customers, k: r.k,
        'train s': fmt(r.ms / 1000), 'read-only s': fmt(base.ms / 1000), ratio: fmt(r.ms / base.ms),
        'value model s': fmt((r.timingsMs?.value ?? NaN) / 1000), 'peak RSS MiB': fmt(r.peakRssMiB, 0),
        'log-RFM silhouette': fmt(r.metrics.logRfmSilhouette, 4), stability: fmt(r.metrics.stability, 3),
      })
    }
  }
}

export async function run(args: string[]): Promise<void> {
  const sizes = args.includes('--quick') ? [1] : [1, 10]
  const rows: Record<string, string | number>[] = []
  for (const copies of sizes) {
    const file = copies === 1 ? fullFile() : await scaledFile(copies)
    const scratch = await scratchDatabase()
    const threads = new UploadThreads()
    try {
      const db = await openDatabase({ databaseUrl: scratch.url, dataDir: '' })
      await migrate(db)
      const dataset = await upload(db, threads, createReadStream(file), 'application/gzip', `x${copies}`)
      await trainings(scratch.url, db, [dataset.id], `x${copies}`, dataset.rows.read, rows, ['stored', 'from transactions'])
      if (copies === 1) {
        const parts = []
        for (const [i, p] of overlappingParts(file).entries()) parts.push(await upload(db, threads, Readable.from([p]), 'text/csv', `part ${i + 1}`))
        const read = parts.reduce((n, p) => n + p.rows.read, 0)
        await trainings(scratch.url, db, parts.map((p) => p.id), 'x1 in 3 overlapping parts', read, rows, ['stored'])
      }
      await db.close()
    } finally {
      await threads.close()
      await scratch.drop()
    }
  }
  table(rows)
}
