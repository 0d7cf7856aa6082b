// The README's drift example, on the full UCI file: a model trained on the first half of the
// year (2010-12 to 2011-05) against the customers of the second half (2011-06 to 2011-12).
import { existsSync, readFileSync } from 'node:fs'
import { gunzipSync } from 'node:zlib'
import t from 'tap'
import { backend } from './helpers/db.ts'
import { testApp } from './helpers/app.ts'

const FULL = '../shared/data/online_retail.csv.gz'

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

t.test(`first half of the year against the second, on ${backend}`, { skip: existsSync(FULL) ? false : `${FULL} not present` }, async (t) => {
  const { app } = await testApp(t)
  const [h1, h2] = halves()
  const d1 = (await app.inject({ method: 'POST', url: '/datasets?name=2010-12..2011-05', payload: h1, headers: { 'content-type': 'text/csv' } })).json()
  const d2 = (await app.inject({ method: 'POST', url: '/datasets?name=2011-06..2011-12', payload: h2, headers: { 'content-type': 'text/csv' } })).json()
  t.equal(d1.rows.read + d2.rows.read, 541909, 'the halves add up to the file')
  const job = (await app.inject({ method: 'POST', url: '/train', payload: { datasetIds: [d1.id] } })).json()
  const deadline = Date.now() + 300_000
  for (;;) {
    if (Date.now() > deadline) throw new Error(`job ${job.id} not finished after 300 s`)
    const j = (await app.inject({ url: `/jobs/${job.id}` })).json()
    if (j.status === 'succeeded') break
    if (j.status !== 'queued' && j.status !== 'running') throw new Error(j.error)
    await new Promise((r) => setTimeout(r, 200))
  }
  const res = await app.inject({ url: `/drift?datasetId=${d2.id}` })
  t.equal(res.statusCode, 200)
  const d = res.json()
  t.equal(d.regime, 'distances', 'a reference of more than 1,000 customers is compared by distances')
  t.equal(d.features.length, 12, 'every default-recipe feature compared')
  t.ok(d.features.every((f: any) => ['wasserstein', 'jensenshannon'].includes(f.method)))
  t.equal(d.datasetDrift, d.driftShare >= 0.5)
  t.ok(d.recommendation.length > 0)
  t.comment(JSON.stringify({
    referenceSize: d.referenceSize, currentSize: d.currentSize,
    features: d.features.map((f: any) => `${f.feature} ${f.method} ${f.statistic?.toFixed(3)} psi ${f.psi.toFixed(3)}${f.drifted ? ' DRIFT' : ''}`),
    driftShare: d.driftShare, datasetDrift: d.datasetDrift, segments: { js: d.segments.jsDistance, shifted: d.segments.shifted, ref: d.segments.referenceShares, cur: d.segments.currentShares },
    fit: d.fit.nearestDistance, recommendation: d.recommendation,
  }, null, 1))
})
