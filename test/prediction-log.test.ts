// The prediction log writes at most PREDICTION_LOG_MAX_PER_SECOND samples per flush, a uniform
// reservoir of the predictions sampled since the last one, into the real prediction_log table.
import t from 'tap'
import { backend } from './helpers/db.ts'
import { testApp } from './helpers/app.ts'

t.test(`prediction log reservoir on ${backend}`, async (t) => {
  const { app } = await testApp(t, { predictionLogSample: 1, predictionLogMaxPerSecond: 50 })
  const log = app.predictionLog
  const count = async () => Number((await app.db.query<{ n: string }>('SELECT count(*) AS n FROM prediction_log'))[0]!.n)

  t.test('fewer than the cap: every sample is written, features asked for once each', async (t) => {
    let asked = 0
    for (let i = 0; i < 30; i++) log.record(1, i, () => { asked++; return [i, i + 0.5] })
    await log.flush()
    t.equal(await count(), 30)
    t.equal(asked, 30)
    const rows = await app.db.query<{ segment: number; features: number[] }>('SELECT segment, features FROM prediction_log ORDER BY segment')
    t.same(rows.map((r) => [r.segment, r.features.map(Number)]), Array.from({ length: 30 }, (_, i) => [i, [i, i + 0.5]]), 'each row as recorded')
    await app.db.query('DELETE FROM prediction_log')
  })

  t.test('more than the cap: the cap per flush, drawn uniformly from all of them', async (t) => {
    const trials = 60
    const n = 1000
    let sum = 0
    let kept = 0
    const firstHalf = { kept: 0 }
    for (let trial = 0; trial < trials; trial++) {
      for (let i = 0; i < n; i++) log.record(1, i, () => [i])
      await log.flush()
      const rows = await app.db.query<{ segment: number }>('SELECT segment FROM prediction_log')
      t.equal(rows.length, 50, `trial ${trial}: 50 of ${n}`)
      for (const r of rows) {
        sum += r.segment
        kept++
        if (r.segment < n / 2) firstHalf.kept++
      }
      t.equal(new Set(rows.map((r) => r.segment)).size, 50, 'no prediction written twice')
      await app.db.query('DELETE FROM prediction_log')
    }
    // Uniform over 0..999: mean 499.5, sd of the mean of 3,000 draws ≈ 288.7 / √3000 ≈ 5.3; 8 sd either side.
    const mean = sum / kept
    t.ok(Math.abs(mean - 499.5) < 42, `mean kept index ${mean.toFixed(1)} ≈ 499.5 (a reservoir that kept the first 50 would give 24.5)`)
    t.ok(Math.abs(firstHalf.kept / kept - 0.5) < 0.08, `share from the first half ${(firstHalf.kept / kept).toFixed(3)} ≈ 0.5`)
  })
})
