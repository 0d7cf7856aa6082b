// The README's drift example, on the full UCI file: a model trained on the first half of the
// year (2010-12 to 2011-05) against the customers of the second half (2011-06 to 2011-12).
import { readFileSync } from 'node:fs'
import { gunzipSync } from 'node:zlib'
import t from 'tap'
import { backend } from './helpers/db.ts'
import { testApp } from './helpers/app.ts'
import { FULL_DATA } from './helpers/data.ts'
import { trainAndWait } from './helpers/train.ts'

const FULL = FULL_DATA

/** The README's drift table: feature → printed normed distance, PSI and drifted flag. */
function readmeTable(): Map<string, { statistic: number; psi: number; drifted: boolean }> {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
  const start = readme.indexOf('| feature | normed Wasserstein | PSI | drifted |')
  const lines = readme.slice(start).split('\n').slice(2)
  const rows = lines.slice(0, lines.findIndex((l) => !l.startsWith('|')))
  const table = new Map<string, { statistic: number; psi: number; drifted: boolean }>()
  for (const row of rows) {
    const [feature, statistic, psi, drifted] = row.split('|').slice(1, 5).map((c) => c.trim()) as [string, string, string, string]
    table.set(feature.replace(/ \(.*\)$/, ''), { statistic: Number(statistic), psi: Number(psi), drifted: drifted === 'yes' })
  }
  return table
}

/** InvoiceDate is the fourth field from the end (Description, earlier, may hold quoted commas). */
function halves(): [Buffer, Buffer] {
  const lines = gunzipSync(readFileSync(FULL)).toString('utf8').split('\n')
  const header = lines[0]!
  const first: string[] = [header]
  const second: string[] = [header]
  for (const line of lines.slice(1)) {
    if (line === '') continue
    let end = line.length
    for (let i = 0; i < 3; i++) end = line.lastIndexOf(',', end - 1)
    const date = line.slice(line.lastIndexOf(',', end - 1) + 1, end)
    ;(date < '2011-06-01' ? first : second).push(line)
  }
  return [Buffer.from(first.join('\n')), Buffer.from(second.join('\n'))]
}

t.test(`first half of the year against the second, on ${backend}`, async (t) => {
  const { app } = await testApp(t)
  const [h1, h2] = halves()
  const d1 = (await app.inject({ method: 'POST', url: '/datasets?name=2010-12..2011-05', payload: h1, headers: { 'content-type': 'text/csv' } })).json()
  const d2 = (await app.inject({ method: 'POST', url: '/datasets?name=2011-06..2011-12', payload: h2, headers: { 'content-type': 'text/csv' } })).json()
  t.equal(d1.rows.read + d2.rows.read, 541909, 'the halves add up to the file')
  const job = await trainAndWait(app, { datasetIds: [d1.id] }, { pollMs: 200 })
  if (job.status !== 'succeeded') throw new Error(job.error)
  const res = await app.inject({ url: `/drift?datasetId=${d2.id}` })
  t.equal(res.statusCode, 200)
  const d = res.json()
  t.equal(d.regime, 'distances', 'a reference of more than 1,000 customers is compared by distances')
  t.equal(d.features.length, 12, 'every default-recipe feature compared')
  t.ok(d.features.every((f: any) => ['wasserstein', 'jensenshannon'].includes(f.method)))
  t.equal(d.datasetDrift, d.driftShare >= 0.5)
  t.ok(d.recommendation.length > 0)

  // The README's figures, to the digits it prints (half a unit of the last digit).
  t.equal(d.referenceSize, 2761, 'README: 2,761 training customers')
  t.equal(d.currentSize, 3567, 'README: 3,567 customers in the second half')
  const table = readmeTable()
  t.equal(table.size, 12, 'the README table has a row per feature')
  for (const f of d.features) {
    const row = table.get(f.feature)
    if (!row) { t.fail(`README has no row for ${f.feature}`); continue }
    t.ok(Math.abs(f.statistic - row.statistic) <= 0.0005, `${f.feature}: distance ${f.statistic} prints as ${row.statistic}`)
    t.ok(Math.abs(f.psi - row.psi) <= 0.0005, `${f.feature}: PSI ${f.psi} prints as ${row.psi}`)
    t.equal(f.drifted, row.drifted, `${f.feature}: drifted as the README says`)
  }
  t.equal(d.features.filter((f: any) => f.drifted).length, 6, 'README: 6 of 12 features drifted')
  t.equal(d.datasetDrift, true, 'README: the dataset counts as drifted')
  const pct = (shares: number[]) => shares.map((s) => Math.round(s * 100))
  t.same(pct(d.segments.referenceShares), [24, 23, 53], 'README: training segment shares 24 / 23 / 53 %')
  t.same(pct(d.segments.currentShares), [31, 27, 42], 'README: second-half shares 31 / 27 / 42 %')
  t.ok(Math.abs(d.segments.jsDistance - 0.078) <= 0.0005, `README: Jensen-Shannon 0.078 (${d.segments.jsDistance})`)
  t.equal(d.segments.shifted, false, 'README: under the 0.1 threshold')
  t.match(d.recommendation, /^Frequency and recency features drifted \(frequency, mean_gap_days, purchase_days, unique_products, …; 6 of 12 features\): retrain on recent data\./, 'README: the recommendation')
  t.comment(JSON.stringify({
    referenceSize: d.referenceSize, currentSize: d.currentSize,
    features: d.features.map((f: any) => `${f.feature} ${f.method} ${f.statistic?.toFixed(3)} psi ${f.psi.toFixed(3)}${f.drifted ? ' DRIFT' : ''}`),
    driftShare: d.driftShare, datasetDrift: d.datasetDrift, segments: { js: d.segments.jsDistance, shifted: d.segments.shifted, ref: d.segments.referenceShares, cur: d.segments.currentShares },
    fit: d.fit.nearestDistance, recommendation: d.recommendation,
  }, null, 1))
})
