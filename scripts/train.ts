// Trains a model straight from a transaction file, without the service or a database, and prints
// the cleaning counts and the training report (or the model bundle with --bundle).
//   node scripts/train.ts <file.csv|.csv.gz|.xlsx> [--recipe default|original] [--k auto|N] [--seed N]
//     [--as-of YYYY-MM-DD [--holdout-days N] [--window-months N | --window-days N]] [--bundle out.json]
// A rolling window (POST /train's `window`) needs --as-of here: the file is read in one pass.
// The service streams rows from the database in customer order; here the file is read into
// memory and sorted by customer (stable), which gives the same input. Same entry and defaults as
// the job (src/training/); `--recipe seed` is the original recipe's former name, still accepted.
import { createReadStream, writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { readUpload } from '../src/ingest/upload.ts'
import { serializeBundle } from '../src/pipeline/bundle.ts'
import type { Transaction } from '../src/pipeline/types.ts'
import { modelParams } from '../src/training/params.ts'
import { inCustomerOrder, runTraining } from '../src/training/train.ts'
import { windowView } from '../src/training/window.ts'

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { recipe: { type: 'string', default: 'default' }, k: { type: 'string', default: 'auto' }, seed: { type: 'string' }, bundle: { type: 'string' }, 'as-of': { type: 'string' }, 'holdout-days': { type: 'string' }, 'window-months': { type: 'string' }, 'window-days': { type: 'string' } },
})
const file = positionals[0]
if (!file) {
  console.error('usage: node scripts/train.ts <file> [--recipe default|original] [--k auto|N] [--seed N] [--as-of YYYY-MM-DD [--holdout-days N] [--window-months N | --window-days N]] [--bundle out.json]')
  process.exit(2)
}
const params = modelParams({
  recipe: values.recipe,
  k: values.k === 'auto' ? 'auto' : Number(values.k),
  seed: values.seed === undefined ? undefined : Number(values.seed),
  asOf: values['as-of'],
  holdoutDays: values['holdout-days'] === undefined ? undefined : Number(values['holdout-days']),
  window: values['window-months'] !== undefined || values['window-days'] !== undefined
    ? { months: values['window-months'] === undefined ? undefined : Number(values['window-months']), days: values['window-days'] === undefined ? undefined : Number(values['window-days']) }
    : undefined,
})
const t0 = performance.now()
const rows: Transaction[] = []
const reader = readUpload(createReadStream(file), { maxBytes: 2 ** 40, maxInflatedBytes: 2 ** 40 })
for await (const batch of reader.batches) for (const r of batch.rows) rows.push(r)
const sorted = inCustomerOrder(rows)
const t1 = performance.now()
const training = await runTraining({ batches: [sorted] }, params)
const t2 = performance.now()
const { report, bundle } = training.result
const window = training.window.spec ? windowView(training.window.spec, training.window.asOfDay) : null
console.log(JSON.stringify({ file, rows: rows.length, window, readMs: Math.round(t1 - t0), trainMs: Math.round(t2 - t1), cleaning: training.build.cleaning, report: { ...report, kScan: undefined }, kScan: report.kScan.map((e) => ({ k: e.k, silhouette: e.silhouette, stability: e.stability, minShare: e.minShare })), segments: bundle.segments.map((s) => ({ id: s.id, name: s.name, size: s.size, share: s.share })), value: training.value?.model ?? null, evaluation: training.value?.evaluation ?? null }, null, 2))
if (values.bundle) writeFileSync(values.bundle, serializeBundle(bundle))
