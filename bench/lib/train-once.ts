// One training run from stored data in a process of its own (so its peak RSS is its own):
//   train-once.ts <databaseUrl> <datasetId[,datasetId...]> <recipe|read-only>
// read-only only streams the stored rows through the same reader: the baseline. The training is
// the job's (src/training/ runTraining) with the request defaults; the original recipe at k = 3.
import { openDatabase } from '../../src/db/database.ts'
import { readTransactions } from '../../src/datasets/read.ts'
import { modelParams } from '../../src/training/params.ts'
import { runTraining } from '../../src/training/train.ts'

const [url, datasetList, what] = process.argv.slice(2) as [string, string, string]
const datasetIds = datasetList.split(',')
const db = await openDatabase({ databaseUrl: url, dataDir: '' })
const started = performance.now()
let out: Record<string, unknown>
if (what === 'read-only') {
  let rows = 0
  for await (const batch of readTransactions(db, datasetIds)) rows += batch.length
  out = { rows }
} else {
  const params = modelParams({ recipe: what })
  const t = await runTraining(db, { ...params, k: params.recipe === 'original' ? 3 : 'auto', datasetIds })
  const r = t.result.report
  out = { customers: t.table.customerIds.length, k: r.k, metrics: r.metrics, timingsMs: r.timingsMs }
}
const ms = performance.now() - started
await db.close()
console.log(JSON.stringify({ ms, peakRssMiB: process.resourceUsage().maxRSS / 1024, ...out }))
