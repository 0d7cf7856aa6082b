// One-off check of the value library on the full UCI file before its integration: calibrate up to
// asOf 2011-09-09, evaluate the 91 days after (docs/pipeline.md section 6). Prints the holdout table.
// node scripts/value-holdout-uci.ts [path to online_retail.csv.gz; default test/fixtures/]
import { FULL_DATA } from '../test/helpers/data.ts'
import { loadRetailCsvGz, sortByCustomer } from '../test/helpers/retail-csv.ts'
import { cleanedLinesByCustomer } from '../test/helpers/cleaned-lines.ts'
import { dayOf } from '../src/pipeline/calendar.ts'
import { purchaseDaysFromLines, summarizeCustomer, type PurchaseDay } from '../src/value/summary.ts'
import { fitBgNbd } from '../src/value/bgnbd.ts'
import { fitGammaGamma } from '../src/value/gamma-gamma.ts'
import { evaluateHoldout, holdoutActuals, type HoldoutCustomer } from '../src/value/holdout.ts'

const path = process.argv[2] ?? FULL_DATA
const rows = sortByCustomer(loadRetailCsvGz(path))
const lines = cleanedLinesByCustomer(rows)
const asOf = dayOf(Date.UTC(2011, 8, 9))
const N = 91
const customers: HoldoutCustomer[] = []
const reasons = new Map<string, number>()
for (const l of lines.values()) {
  const days: PurchaseDay[] = purchaseDaysFromLines(l)
  const s = summarizeCustomer(days, asOf)
  if (!s.ok) {
    reasons.set(s.reason, (reasons.get(s.reason) ?? 0) + 1)
    continue
  }
  const a = holdoutActuals(days, asOf, N)
  customers.push({ summary: s.summary, actualPurchases: a.purchases, actualValue: a.value })
}
let t0 = performance.now()
const bg = fitBgNbd(customers.map((c) => c.summary))
const tBg = performance.now() - t0
t0 = performance.now()
const gg = fitGammaGamma(customers.map((c) => ({ x: c.summary.x, meanValue: c.summary.meanRepeatValue ?? 0 })))
const tGg = performance.now() - t0
console.log(`${customers.length} calibration customers; without a summary: ${JSON.stringify(Object.fromEntries(reasons))}`)
console.log(`BG/NBD ${JSON.stringify(bg)} (${tBg.toFixed(0)} ms)`)
console.log(`Gamma-Gamma ${JSON.stringify(gg)} (${tGg.toFixed(0)} ms)`)
const ev = evaluateHoldout(customers, bg, gg, N)
console.log(`purchases: actual ${ev.purchases.actual}, model ${ev.purchases.predicted.toFixed(1)}, baseline ${ev.purchases.baseline.toFixed(1)}`)
console.log(`value: actual ${ev.value.actual.toFixed(0)}, model ${ev.value.predicted.toFixed(0)}, baseline ${ev.value.baseline.toFixed(0)}`)
console.log(`MAE purchases: model ${ev.mae.purchases.model.toFixed(4)}, baseline ${ev.mae.purchases.baseline.toFixed(4)}; value: model ${ev.mae.value.model.toFixed(1)}, baseline ${ev.mae.value.baseline.toFixed(1)}`)
console.log(`RMSE purchases: model ${ev.rmse.purchases.model.toFixed(4)}, baseline ${ev.rmse.purchases.baseline.toFixed(4)}`)
console.log('x    customers  actual  model  baseline')
for (const r of ev.byRepeatCount) console.log(`${r.repeatCount.padEnd(4)} ${String(r.customers).padStart(9)}  ${r.meanActual.toFixed(3)}  ${r.meanPredicted.toFixed(3)}  ${r.meanBaseline.toFixed(3)}`)
if (process.env.VALUE_DUMP) {
  const { writeFileSync } = await import('node:fs')
  writeFileSync(process.env.VALUE_DUMP, JSON.stringify({ x: customers.map((c) => c.summary.x), tx: customers.map((c) => c.summary.tx), T: customers.map((c) => c.summary.T) }))
}
