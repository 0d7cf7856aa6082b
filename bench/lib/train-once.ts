// One training run from stored data in a process of its own (so its peak RSS is its own):
//   train-once.ts <databaseUrl> <datasetId> <recipe|read-only>
// read-only only streams the stored rows through the same reader: the baseline.
import { openDatabase } from '../../src/db/database.ts'
import { readTransactions } from '../../src/datasets/read.ts'
import { trainFromDatasets } from '../../src/training/train.ts'

const [url, datasetId, what] = process.argv.slice(2) as [string, string, string]
const db = await openDatabase({ databaseUrl: url, dataDir: '' })
const started = performance.now()
let out: Record<string, unknown>
if (what === 'read-only') {
  let rows = 0
  for await (const batch of readTransactions(db, [datasetId])) rows += batch.length
  out = { rows }
} else {
  const t = await trainFromDatasets(db, [datasetId], { recipe: what as 'seed' | 'default', k: what === 'seed' ? 3 : 'auto', kRange: [3, 8], seed: 42 }, undefined)
  const r = t.result.report
  out = { customers: t.table.customerIds.length, k: r.k, metrics: r.metrics, timingsMs: r.timingsMs }
}
const ms = performance.now() - started
await db.close()
console.log(JSON.stringify({ ms, peakRssMiB: process.resourceUsage().maxRSS / 1024, ...out }))
