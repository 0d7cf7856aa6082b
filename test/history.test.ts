// Segments over time over HTTP, on the suite's backend: two versions trained on different spans
// of the real sample, then a customer's history, the transition matrix and the movers, each
// checked against an independent computation straight from the assignments table.
import { readFileSync } from 'node:fs'
import { gunzipSync } from 'node:zlib'
import type { FastifyInstance } from 'fastify'
import t from 'tap'
import { backend } from './helpers/db.ts'
import { testApp } from './helpers/app.ts'
import { trainAndWait } from './helpers/train.ts'
import { entryMatchesPrediction } from './helpers/history.ts'

const SAMPLE = gunzipSync(readFileSync('test/fixtures/online_retail_sample_445.csv.gz')).toString('utf8')
// The first half-year only: fewer customers, so the full sample's version has entrants.
const FIRST_HALF = SAMPLE.split('\n').filter((line, i) => i === 0 || (line !== '' && line.split(',').at(-4)! < '2011-06-01')).join('\n') + '\n'

async function upload(app: FastifyInstance, csv: string, name: string) {
  const res = await app.inject({ method: 'POST', url: `/datasets?name=${name}`, payload: csv, headers: { 'content-type': 'text/csv' } })
  if (res.statusCode !== 201) throw new Error(`upload: ${res.statusCode} ${res.body}`)
  return res.json().id as string
}

async function train(app: FastifyInstance, body: object): Promise<number> {
  const job = await trainAndWait(app, body, { deadlineMs: 120_000 })
  if (job.status !== 'succeeded') throw new Error(JSON.stringify(job.log))
  return job.modelVersion as number
}

t.test(`history, transitions and movers on ${backend}`, async (t) => {
  const { app } = await testApp(t)
  const half = await upload(app, FIRST_HALF, 'first-half')
  const full = await upload(app, SAMPLE, 'full')
  const v1 = await train(app, { datasetIds: [half], activate: 'always' })
  const v2 = await train(app, { datasetIds: [full], activate: 'always', seed: 7 })

  const rows = await app.db.query<{ version: number; customer_id: string; segment: number }>(
    'SELECT version, customer_id, segment FROM assignments WHERE version = ANY($1)', [[v1, v2]])
  const before = new Map(rows.filter((r) => r.version === v1).map((r) => [r.customer_id, r.segment]))
  const after = new Map(rows.filter((r) => r.version === v2).map((r) => [r.customer_id, r.segment]))
  const both = [...after.keys()].filter((id) => before.has(id))
  // The later version's CLV, for the movers' order (most valuable first, then by id).
  const clvRows = await app.db.query<{ customer_id: string; clv: number | null }>('SELECT customer_id, clv FROM customer_values WHERE version = $1', [v2])
  const clv = new Map(clvRows.map((r) => [r.customer_id, r.clv]))
  t.ok(clvRows.length > 0, 'the version has customer values')
  const byValue = (a: string, b: string) => {
    const x = clv.get(a) ?? null, y = clv.get(b) ?? null
    if (x !== y) return x === null ? 1 : y === null ? -1 : y - x
    return a < b ? -1 : a > b ? 1 : 0
  }
  t.ok(both.length > 100 && after.size > before.size, `${before.size} customers in v${v1}, ${after.size} in v${v2}, ${both.length} in both`)

  t.test('transitions default to the version active before', async (t) => {
    const res = await app.inject({ url: `/models/${v2}/transitions` })
    t.equal(res.statusCode, 200, res.body)
    const m = res.json()
    t.equal(m.from.version, v1)
    t.equal(m.to.version, v2)
    const cells = m.segments.counts.flat().reduce((s: number, c: number) => s + c, 0)
    t.equal(cells, both.length, 'the cells sum to the customers in both')
    t.equal(m.segments.entered.count, [...after.keys()].filter((id) => !before.has(id)).length, 'entered = in v2, not in v1')
    t.equal(m.segments.left.count, [...before.keys()].filter((id) => !after.has(id)).length, 'left = in v1, not in v2')
    for (const [i, u] of m.segments.from.entries()) {
      for (const [j, v] of m.segments.to.entries()) {
        t.equal(m.segments.counts[i][j], both.filter((id) => before.get(id) === u && after.get(id) === v).length, `cell ${u} → ${v}`)
      }
    }
    t.same(m.to.segments.map((s: { id: number }) => s.id), [...new Set(after.values())].sort((a, b) => a - b))
    t.same((await app.inject({ url: `/models/${v2}/transitions?from=${v1}` })).json(), m, '?from= names the same comparison')
    t.equal((await app.inject({ url: `/models/${v1}/transitions` })).statusCode, 409, 'the first version has nothing before it')
    t.equal((await app.inject({ url: `/models/99/transitions` })).statusCode, 404)
  })

  t.test('one cell equals its movers export', async (t) => {
    const m = (await app.inject({ url: `/models/${v2}/transitions` })).json()
    // The largest off-diagonal cell, or the largest cell when nobody moved.
    let best = { i: 0, j: 0, n: -1 }
    m.segments.counts.forEach((row: number[], i: number) => row.forEach((n, j) => { if (n > best.n) best = { i, j, n } }))
    const fromSegment = m.segments.from[best.i]
    const toSegment = m.segments.to[best.j]
    const page = (await app.inject({ url: `/models/${v2}/movers?fromSegment=${fromSegment}&toSegment=${toSegment}&limit=10000` })).json()
    t.equal(page.total, best.n)
    t.equal(page.movers.length, best.n)
    const expected = both.filter((id) => before.get(id) === fromSegment && after.get(id) === toSegment).sort(byValue)
    t.same(page.movers.map((x: { customerId: string }) => x.customerId), expected, 'the same customers, most valuable first')
    t.same(page.movers.map((x: { clv: number | null }) => x.clv), expected.map((id) => clv.get(id) ?? null), 'each with its CLV')
    const csv = await app.inject({ url: `/models/${v2}/movers?fromSegment=${fromSegment}&toSegment=${toSegment}&format=csv&limit=10000` })
    t.match(csv.headers['content-type'], /^text\/csv/)
    const lines = csv.body.trim().split('\r\n')
    t.equal(lines[0], 'customer_id,from_version,from_segment,to_version,to_segment,clv')
    t.same(lines.slice(1).map((l) => l.split(',')[0]), expected)
    const paged = (await app.inject({ url: `/models/${v2}/movers?limit=7&offset=3` })).json()
    t.same(paged.movers.map((x: { customerId: string }) => x.customerId), [...both].sort(byValue).slice(3, 10), 'pages in the same order')
    t.equal(paged.total, both.length)
  })

  t.test('RFM groups: the matrix, entered, left and one cell\'s movers, against customer_values', async (t) => {
    const vals = await app.db.query<{ version: number; customer_id: string; rfm_group: string }>(
      'SELECT version, customer_id, rfm_group FROM customer_values WHERE version = ANY($1)', [[v1, v2]])
    const gBefore = new Map(vals.filter((r) => r.version === v1).map((r) => [r.customer_id, r.rfm_group]))
    const gAfter = new Map(vals.filter((r) => r.version === v2).map((r) => [r.customer_id, r.rfm_group]))
    const gBoth = [...gAfter.keys()].filter((id) => gBefore.has(id))
    t.ok(gBoth.length > 100, `${gBoth.length} customers with values in both`)
    const g = (await app.inject({ url: `/models/${v2}/transitions` })).json().rfmGroups
    t.equal(g.from.length, 11, 'all 11 groups as rows')
    t.equal(g.from[0], 'Champions', 'in their canonical order')
    t.same(g.to, g.from)
    t.equal(g.counts.flat().reduce((s: number, c: number) => s + c, 0), gBoth.length, 'the cells sum to the customers in both')
    t.equal(g.stayed, gBoth.length)
    t.equal(g.entered.count, [...gAfter.keys()].filter((id) => !gBefore.has(id)).length, 'entered = in v2, not in v1')
    t.equal(g.left.count, [...gBefore.keys()].filter((id) => !gAfter.has(id)).length, 'left = in v1, not in v2')
    const wrong: string[] = []
    g.from.forEach((u: string, i: number) => g.to.forEach((v: string, j: number) => {
      if (g.counts[i][j] !== gBoth.filter((id) => gBefore.get(id) === u && gAfter.get(id) === v).length) wrong.push(`${u} → ${v}`)
    }))
    t.same(wrong, [], 'every cell as counted from customer_values')
    // The largest off-diagonal cell against its movers export.
    let best = { i: 0, j: 1, n: -1 }
    g.counts.forEach((row: number[], i: number) => row.forEach((n, j) => { if (i !== j && n > best.n) best = { i, j, n } }))
    const [fromGroup, toGroup] = [g.from[best.i], g.to[best.j]]
    t.ok(best.n > 0, `${fromGroup} → ${toGroup}: ${best.n}`)
    const url = `/models/${v2}/movers?fromGroup=${encodeURIComponent(fromGroup)}&toGroup=${encodeURIComponent(toGroup)}&limit=10000`
    const page = (await app.inject({ url })).json()
    const expected = gBoth.filter((id) => gBefore.get(id) === fromGroup && gAfter.get(id) === toGroup).sort(byValue)
    t.equal(page.by, 'group')
    t.equal(page.total, best.n, 'the movers total is the cell')
    t.same(page.movers.map((x: { customerId: string }) => x.customerId), expected, 'the same customers, most valuable first')
    t.same(page.movers.map((x: { clv: number | null }) => x.clv), expected.map((id) => clv.get(id) ?? null), 'each with its CLV')
    t.ok(page.movers.every((x: { customerId: string; fromGroup: string; toGroup: string; fromSegment: number; toSegment: number }) =>
      x.fromGroup === fromGroup && x.toGroup === toGroup && x.fromSegment === before.get(x.customerId) && x.toSegment === after.get(x.customerId)), 'groups and segments as stored')
    const csv = await app.inject({ url: `${url}&format=csv` })
    t.match(csv.headers['content-type'], /^text\/csv/)
    const lines = csv.body.trim().split('\r\n')
    t.equal(lines[0], 'customer_id,from_version,from_group,to_version,to_group,clv')
    t.same(lines.slice(1).map((l) => l.split(',').slice(0, 5).join(',')), expected.map((id) => `${id},${v1},${fromGroup},${v2},${toGroup}`), 'the CSV: the same rows in the same order')
    // Validation: names checked against the list, kinds not mixed.
    const bad = await app.inject({ url: `/models/${v2}/movers?fromGroup=Champs` })
    t.equal(bad.statusCode, 400)
    t.match(bad.json().detail, /must be one of Champions, Loyal, .*Lost/, 'names the allowed values')
    const mixed = await app.inject({ url: `/models/${v2}/movers?fromSegment=0&toGroup=Lost` })
    t.equal(mixed.statusCode, 400)
    t.match(mixed.json().detail, /not both/)
  })

  t.test('history matches the predictions of each version', async (t) => {
    const id = both[0]!
    const res = await app.inject({ url: `/customers/${id}/history` })
    t.equal(res.statusCode, 200, res.body)
    const h = res.json()
    t.same(h.versions.map((v: { version: number }) => v.version), [v2, v1], 'newest first')
    t.same(h.versions.map((v: { active: boolean }) => v.active), [true, false])
    for (const entry of h.versions) await entryMatchesPrediction(t, app, id, entry)
    const v1Entry = h.versions[1]
    t.equal(v1Entry.segment.counterpart, null, 'the first version was matched to nothing')
    t.equal(v1Entry.segment.newSegment, false)
    const model = (await app.inject({ url: `/models/${v2}` })).json()
    const counterparts = model.report.counterparts as (number | null)[]
    t.equal(h.versions[0].segment.counterpart, counterparts[h.versions[0].segment.id] ?? null, 'counterpart as the training recorded it')
    t.equal((await app.inject({ url: '/customers/no-such-customer/history' })).statusCode, 404)
  })

  // Last: it removes v1's customer values (a version trained before issue 15 has none).
  t.test('a version without customer values: rfmGroups null, group movers 409', async (t) => {
    await app.db.query('DELETE FROM customer_values WHERE version = $1', [v1])
    const m = (await app.inject({ url: `/models/${v2}/transitions` })).json()
    t.equal(m.rfmGroups, null)
    t.equal(m.segments.stayed, both.length, 'the segments part is unchanged')
    const res = await app.inject({ url: `/models/${v2}/movers?toGroup=Lost` })
    t.equal(res.statusCode, 409)
    t.match(res.json().detail, new RegExp(`version ${v1} has no customer values`))
    t.equal((await app.inject({ url: `/models/${v2}/movers?toSegment=0` })).statusCode, 200, 'segment movers still work')
  })
})
