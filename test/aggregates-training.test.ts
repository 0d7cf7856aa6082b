// Training merges the stored aggregates (issue 14 point 1), on the full UCI file: the file split
// in three overlapping parts and uploaded as three datasets trains on the single file's features
// (every feature to 1e-9 relative, the duplicates across parts removed), reading only the rows of
// the customers a merge rebuilds; on the single file the merged features are the build from its
// transactions bit for bit, the original recipe's reference table holds, and the default recipe's
// model (same seed) is bit-identical to one trained on that build.
import { readFileSync } from 'node:fs'
import t from 'tap'
import { customersToRebuild, decodeAggregate } from '../src/aggregates/index.ts'
import { buildFromTransactions } from '../src/datasets/features-store.ts'
import { countGuestRows, readTransactions } from '../src/datasets/read.ts'
import { buildFeatures, type BuildResult } from '../src/pipeline/features.ts'
import { loadAggregates, loadMergedAggregates } from '../src/training/aggregates.ts'
import { modelParams } from '../src/training/params.ts'
import { runTraining, trainOnFeatures } from '../src/training/train.ts'
import { testApp } from './helpers/app.ts'
import { backend } from './helpers/db.ts'
import { FULL_DATA, overlappingParts, REFERENCE } from './helpers/data.ts'
import { loadReference } from './helpers/retail-csv.ts'
import { fingerprint } from './helpers/train-fingerprint.ts'

/** Worst relative difference (absolute near zero) of two equal-length arrays; Infinity when lengths differ. */
function worst(a: Float64Array, b: Float64Array): number {
  if (a.length !== b.length) return Infinity
  let w = 0
  for (let i = 0; i < a.length; i++) w = Math.max(w, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!)))
  return w
}

t.test(`training on stored aggregates, full UCI file, ${backend}`, async (t) => {
  const { app } = await testApp(t, { maxEventLoopDelayMs: 0 })
  const post = async (payload: Buffer, type: string) => {
    const res = await app.inject({ method: 'POST', url: '/datasets', payload, headers: { 'content-type': type } })
    t.equal(res.statusCode, 201, res.statusCode === 201 ? 'uploaded' : res.body.slice(0, 200))
    return res.json().id as string
  }
  const single = await post(readFileSync(FULL_DATA), 'application/gzip')
  const parts: string[] = []
  for (const p of overlappingParts()) parts.push(await post(p, 'text/csv'))
  for (const id of [single, ...parts]) t.equal((await app.inject({ url: `/datasets/${id}` })).json().aggregates, 'ready')

  // Every COPY out of the database during a training: none may read all transactions.
  const selects: string[] = []
  const copyOut = app.db.copyOut.bind(app.db)
  app.db.copyOut = (sql: string) => {
    selects.push(sql)
    return copyOut(sql)
  }
  const train = (datasetIds: string[], recipe: string) => runTraining(app.db, { ...modelParams({ recipe }), seed: 42, datasetIds })

  await t.test('three overlapping parts train on the single file\'s features', async (t) => {
    const aggs = (await loadAggregates(app.db, parts))!.map((b) => decodeAggregate(b))
    const rebuilt = customersToRebuild(aggs).length
    t.ok(rebuilt > 100, `${rebuilt} customers have an invoice in two parts: rebuilt from their rows`)
    selects.length = 0
    const merged = (await train(parts, 'original')).build
    t.ok(selects.every((s) => /customer_id IN \(/.test(s)), `${selects.length} reads, each of the rebuilt customers' rows only`)
    selects.length = 0
    const whole = (await train([single], 'original')).build
    t.equal(selects.length, 0, 'the single file: no read at all')
    for (const r of ['original', 'default'] as const) {
      t.same(merged[r].customerIds, whole[r].customerIds, `${r}: the same ${whole[r].customerIds.length} customers`)
      const w = worst(merged[r].values, whole[r].values)
      t.ok(w <= 1e-9, `${r}: every feature to 1e-9 relative (worst ${w})`)
      t.equal(merged[r].referenceDate, whole[r].referenceDate, `${r}: the same reference date`)
    }
    const after = (b: BuildResult) => b.cleaning.steps.slice(1).map((s) => [s.rowsAfter, s.customersAfter])
    t.same(after(merged), after(whole), 'rule 2 removed the overlap: the same rows and customers after each rule from rule 2 on')
    t.ok(merged.cleaning.rowsIn > whole.cleaning.rowsIn + 10_000, `the parts overlap: ${merged.cleaning.rowsIn - whole.cleaning.rowsIn} rows read twice`)
    const holdout = worst(merged.purchaseDays!.values, whole.purchaseDays!.values)
    t.ok(holdout <= 1e-9, `the value model's purchase days to 1e-9 (worst ${holdout})`)
    // Large aggregates are merged by customer-hash range: the same build, bit for bit.
    const ranged = (await loadMergedAggregates(app.db, parts, { rangeBytes: 2 ** 19 }))!
    t.same(ranged, merged, 'merged in 6 hash ranges: the same build (tables, cleaning, baskets, purchase days)')
    t.same([Array.from(ranged.original.values), Array.from(ranged.default.values)], [Array.from(merged.original.values), Array.from(merged.default.values)], 'every feature bit for bit')
  })

  await t.test('one dataset: bit for bit the build from its transactions, the reference table, the same model', async (t) => {
    const direct = await buildFromTransactions(app.db, [single])
    for (const recipe of ['default', 'original']) {
      const merged = await train([single], recipe)
      const fresh = await trainOnFeatures(direct, { ...modelParams({ recipe }), seed: 42 })
      t.same(Array.from(merged.table.values), Array.from(fresh.table.values), `${recipe}: every feature bit for bit`)
      t.same(Array.from(merged.build.purchaseDays!.values), Array.from(direct.purchaseDays!.values), `${recipe}: purchase days bit for bit`)
      t.same(fingerprint(merged.result), fingerprint(fresh.result), `${recipe}: the same model (bundle, assignments, distances, report)`)
      t.equal(JSON.stringify(merged.value), JSON.stringify(fresh.value), `${recipe}: the same value model`)
    }
    const original = (await train([single], 'original')).build.original
    const index = new Map(original.customerIds.map((c, i) => [c, i]))
    const w = original.features.length
    const bad: string[] = []
    const ref = loadReference(REFERENCE.features4282).rows
    for (const [id, r] of ref) {
      const i = index.get(id)
      if (i === undefined) {
        bad.push(`${id} missing`)
        continue
      }
      original.features.forEach((f, j) => {
        const want = f === 'Cancellation_Rate' ? r.Cancellation_Rate_fixed! : r[f]!
        const got = original.values[i * w + j]!
        if (!(Math.abs(got - want) <= 1e-9 * Math.max(1, Math.abs(got), Math.abs(want)))) bad.push(`${id} ${f}: ${got} != ${want}`)
      })
    }
    t.equal(ref.size, 4282)
    t.same(bad.slice(0, 10), [], 'the original recipe from the merged aggregates: every feature of the 4,282 reference customers to 1e-9')
  })

  await t.test('asOf and a window: a merge, no read of all transactions', async (t) => {
    selects.length = 0
    const asOf = await runTraining(app.db, { ...modelParams({ recipe: 'default' }), seed: 42, datasetIds: parts, asOf: '2011-09-09', holdoutDays: 91, window: { months: 6 } })
    t.ok(selects.every((s) => /customer_id IN \(/.test(s)), `${selects.length} reads, each of rebuilt customers only`)
    t.equal(asOf.build.default.referenceDate, Date.UTC(2011, 8, 9), 'features as of asOf')
    t.ok(asOf.value?.evaluation, 'the holdout after asOf was evaluated')
    // What training did before: one pass over the window's rows, features as of asOf.
    const fromDay = asOf.window.fromDay!
    const before = await buildFeatures(readTransactions(app.db, parts, fromDay), { guestRows: await countGuestRows(app.db, parts, fromDay), asOf: Date.UTC(2011, 8, 9) })
    for (const r of ['original', 'default'] as const) {
      t.same(asOf.build[r].customerIds, before[r].customerIds, `${r}: the same ${before[r].customerIds.length} customers`)
      const w = worst(asOf.build[r].values, before[r].values)
      t.ok(w <= 1e-9, `${r}: every feature to 1e-9 relative (worst ${w})`)
    }
    t.same(asOf.build.cleaning, before.cleaning, 'the same cleaning counts (every row from the window\'s first day)')
    t.same(asOf.build.purchaseDays!.customerIds, before.purchaseDays!.customerIds, 'purchase days of the same customers')
    t.same(Array.from(asOf.build.purchaseDays!.days), Array.from(before.purchaseDays!.days), 'the same purchase days, the holdout\'s too')
  })
})
