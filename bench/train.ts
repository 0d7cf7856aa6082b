// Training from stored data (real Postgres), both recipes, on the full UCI file and a 10x file,
// against a read-only pass over the same stored rows measured in the same run.
import { createReadStream } from 'node:fs'
import { openDatabase } from '../src/db/database.ts'
import { migrate } from '../src/db/migrate.ts'
import { encodeUpload } from '../src/datasets/encode.ts'
import { storeUpload } from '../src/datasets/store.ts'
import { storeDatasetFeatures } from '../src/datasets/features-store.ts'
import { readUpload } from '../src/ingest/upload.ts'
import { fmt, fullFile, runChild, scaledFile, scratchDatabase, table } from './lib/common.ts'

export async function run(args: string[]): Promise<void> {
  const sizes = args.includes('--quick') ? [1] : [1, 10]
  const rows: Record<string, string | number>[] = []
  for (const copies of sizes) {
    const file = copies === 1 ? fullFile() : await scaledFile(copies)
    const scratch = await scratchDatabase()
    try {
      const db = await openDatabase({ databaseUrl: scratch.url, dataDir: '' })
      await migrate(db)
      const { dataset } = await storeUpload(db, (id) => encodeUpload(readUpload(createReadStream(file), { maxBytes: 2 ** 40, maxInflatedBytes: 2 ** 40 }), id), `x${copies}`)
      const base = await runChild('train-once.ts', [scratch.url, dataset.id, 'read-only'])
      for (const [recipe, stored] of [['original', false], ['default', false], ['original', true], ['default', true]] as const) {
        // "stored": the features the service builds right after an upload (features-store.ts);
        // otherwise the training streams every transaction out of the database first.
        if (stored) await storeDatasetFeatures(db, dataset.id)
        else await db.query('DELETE FROM dataset_features WHERE dataset_id = $1', [dataset.id])
        const r = await runChild('train-once.ts', [scratch.url, dataset.id, recipe])
        rows.push({
          file: `x${copies}`,
          rows: dataset.rows.read,
          features: stored ? 'stored' : 'from transactions',
          recipe,
          customers: r.customers,
          k: r.k,
          'train s': fmt(r.ms / 1000),
          'read-only s': fmt(base.ms / 1000),
          ratio: fmt(r.ms / base.ms),
          'value model s': fmt((r.timingsMs?.value ?? NaN) / 1000),
          'peak RSS MiB': fmt(r.peakRssMiB, 0),
          'log-RFM silhouette': fmt(r.metrics.logRfmSilhouette, 4),
          stability: fmt(r.metrics.stability, 3),
        })
      }
      await db.close()
    } finally {
      await scratch.drop()
    }
  }
  table(rows)
}
