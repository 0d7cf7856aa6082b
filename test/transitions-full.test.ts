// Issue 16's acceptance on the full UCI file (test/fixtures): two versions, asOf 2011-06-30 and
// 2011-12-09, each on a 6-month window. GET /models/{v}/transitions and the movers export are
// checked against SQL on the versions' stored assignments (cells, entered, left, one cell's
// movers in JSON and CSV, most valuable first), and the same between RFM groups against SQL on
// customer_values; a customer's two history entries against
// GET /predict/customer/{id}?model=. Postgres only: the full file on PGlite takes several minutes.
import { readFileSync } from 'node:fs'
import type { FastifyInstance } from 'fastify'
import t from 'tap'
import { backend } from './helpers/db.ts'
import { testApp } from './helpers/app.ts'
import { FULL_DATA } from './helpers/data.ts'
import { waitForJob } from './helpers/train.ts'
import { entryMatchesPrediction } from './helpers/history.ts'

async function train(app: FastifyInstance, body: object): Promise<number> {
  const started = performance.now()
  const res = await app.inject({ method: 'POST', url: '/train', payload: body })
  // Reported, not asserted: what the window's customer count costs POST /train on the full file.
  t.comment(`POST /train ${JSON.stringify(body)}: ${res.statusCode} in ${Math.round(performance.now() - started)} ms`)
  if (res.statusCode !== 202) throw new Error(`POST /train: ${res.statusCode} ${res.body}`)
  const job = await waitForJob(app, res.json().id, { pollMs: 200 })
  if (job.status !== 'succeeded') throw new Error(JSON.stringify(job.log))
  return job.modelVersion as number
}

t.test(`transitions between two 6-month windows of the full data on ${backend}`, { skip: backend !== 'postgres' && 'the full file: Postgres only (set DATABASE_URL)', timeout: 600_000 }, async (t) => {
  const { app } = await testApp(t, { maxEventLoopDelayMs: 0 })
  const up = await app.inject({ method: 'POST', url: '/datasets', payload: readFileSync(FULL_DATA), headers: { 'content-type': 'application/gzip' } })
  t.equal(up.statusCode, 201, up.body.slice(0, 300))
  const v1 = await train(app, { asOf: '2011-06-30', window: { months: 6 }, activate: 'always' })
  const v2 = await train(app, { asOf: '2011-12-09', window: { months: 6 }, activate: 'always' })

  const m1 = (await app.inject({ url: `/models/${v1}` })).json()
  const m2 = (await app.inject({ url: `/models/${v2}` })).json()
  t.same([m1.asOf, m1.window], ['2011-06-30', { months: 6, from: '2010-12-31', to: '2011-06-30' }])
  t.same([m2.asOf, m2.window], ['2011-12-09', { months: 6, from: '2011-06-10', to: '2011-12-09' }])
  // The windows as SQL on the stored rows: every trained customer has an invoice in its window.
  for (const [v, from, to] of [[v1, '2010-12-31', '2011-06-30'], [v2, '2011-06-10', '2011-12-09']] as const) {
    const [outside] = await app.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM assignments a WHERE a.version = $1 AND NOT EXISTS (
         SELECT 1 FROM transactions x WHERE x.customer_id = a.customer_id AND x.invoice_date >= $2::timestamp AND x.invoice_date < $3::timestamp + interval '1 day')`, [v, from, to])
    t.equal(outside!.n, 0, `v${v}: no customer without an invoice from ${from} to ${to}`)
  }

  // The independent computation: SQL on the assignments table.
  const q = <T>(sql: string) => app.db.query<T>(sql, [v1, v2])
  const cells = await q<{ u: number; v: number; n: number }>(
    'SELECT a.segment AS u, b.segment AS v, count(*)::int AS n FROM assignments a JOIN assignments b ON b.customer_id = a.customer_id WHERE a.version = $1 AND b.version = $2 GROUP BY 1, 2')
  const [both] = await q<{ n: number }>('SELECT count(*)::int AS n FROM assignments a JOIN assignments b ON b.customer_id = a.customer_id WHERE a.version = $1 AND b.version = $2')
  const entered = await q<{ label: number; count: number }>(
    'SELECT b.segment AS label, count(*)::int AS count FROM assignments b WHERE b.version = $2 AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.version = $1 AND a.customer_id = b.customer_id) GROUP BY 1 ORDER BY 1')
  const left = await q<{ label: number; count: number }>(
    'SELECT a.segment AS label, count(*)::int AS count FROM assignments a WHERE a.version = $1 AND NOT EXISTS (SELECT 1 FROM assignments b WHERE b.version = $2 AND b.customer_id = a.customer_id) GROUP BY 1 ORDER BY 1')
  const sum = (xs: { count: number }[]) => xs.reduce((s, x) => s + x.count, 0)
  t.comment(`v${v1}: ${m1.customers} customers, v${v2}: ${m2.customers}; ${both!.n} in both, ${sum(entered)} entered, ${sum(left)} left`)
  t.ok(both!.n > 500 && sum(entered) > 100 && sum(left) > 100, 'the windows overlap in customers and differ')
  t.equal(both!.n + sum(left), m1.customers)
  t.equal(both!.n + sum(entered), m2.customers)

  const res = await app.inject({ url: `/models/${v2}/transitions` })
  t.equal(res.statusCode, 200, res.body.slice(0, 300))
  const m = res.json()
  t.same([m.from.version, m.to.version], [v1, v2], 'compared with the version it replaced')
  const counts = m.segments.counts as number[][]
  t.equal(counts.flat().reduce((s, c) => s + c, 0), both!.n, 'the cells sum to the customers in both')
  t.equal(m.segments.stayed, both!.n)
  const cell = (u: number, v: number) => cells.find((c) => c.u === u && c.v === v)?.n ?? 0
  const wrong = m.segments.from.flatMap((u: number, i: number) => m.segments.to.map((v: number, j: number) => [u, v, counts[i]![j]!, cell(u, v)]))
    .filter(([, , got, want]: number[]) => got !== want)
  t.same(wrong, [], 'every cell as SQL counts it')
  t.equal(sum(cells.map((c) => ({ count: c.n }))), both!.n)
  t.equal(m.segments.entered.count, sum(entered), 'entered = in v2, not in v1')
  t.equal(m.segments.left.count, sum(left), 'left = in v1, not in v2')
  t.same(m.segments.entered.byLabel.filter((x: { count: number }) => x.count > 0), entered, 'entered by segment')
  t.same(m.segments.left.byLabel.filter((x: { count: number }) => x.count > 0), left, 'left by segment')

  // One cell, the largest off the diagonal, against its movers export.
  let best = { u: 0, v: 0, n: -1 }
  for (const c of cells) if (c.u !== c.v && c.n > best.n) best = c
  t.ok(best.n > 0, `cell ${best.u} → ${best.v}: ${best.n} customers`)
  const expected = await app.db.query<{ customer_id: string; clv: number | null }>(
    `SELECT a.customer_id, v.clv FROM assignments a JOIN assignments b ON b.customer_id = a.customer_id
       LEFT JOIN customer_values v ON v.version = b.version AND v.customer_id = b.customer_id
      WHERE a.version = $1 AND b.version = $2 AND a.segment = $3 AND b.segment = $4
      ORDER BY v.clv DESC NULLS LAST, a.customer_id COLLATE "C"`, [v1, v2, best.u, best.v])
  t.equal(expected.length, best.n)
  const url = `/models/${v2}/movers?fromSegment=${best.u}&toSegment=${best.v}&limit=10000`
  const page = (await app.inject({ url })).json()
  t.equal(page.total, best.n, 'the movers total is the cell')
  t.same(page.movers.map((x: { customerId: string }) => x.customerId), expected.map((r) => r.customer_id), 'the same customers, most valuable first')
  t.same(page.movers.map((x: { clv: number | null }) => x.clv), expected.map((r) => r.clv), 'each with its CLV')
  t.ok(page.movers.every((x: { fromSegment: number; toSegment: number }) => x.fromSegment === best.u && x.toSegment === best.v))
  const csv = await app.inject({ url: `${url}&format=csv` })
  t.match(csv.headers['content-type'], /^text\/csv/)
  const lines = csv.body.trim().split('\r\n')
  t.equal(lines[0], 'customer_id,from_version,from_segment,to_version,to_segment,clv')
  t.equal(lines.length - 1, best.n, 'the CSV has the cell\'s customers')
  t.same(lines.slice(1).map((l) => l.split(',').slice(0, 5).join(',')), expected.map((r) => `${r.customer_id},${v1},${best.u},${v2},${best.v}`), 'in the same order')
  t.same(lines.slice(1).map((l) => l.split(',')[5] === '' ? null : Number(l.split(',')[5])), expected.map((r) => r.clv), 'with the same CLV')

  // The same for RFM groups, against SQL on customer_values.
  const g = m.rfmGroups
  const gCells = await q<{ u: string; v: string; n: number }>(
    'SELECT a.rfm_group AS u, b.rfm_group AS v, count(*)::int AS n FROM customer_values a JOIN customer_values b ON b.customer_id = a.customer_id WHERE a.version = $1 AND b.version = $2 GROUP BY 1, 2')
  const [gEntered] = await q<{ n: number }>('SELECT count(*)::int AS n FROM customer_values b WHERE b.version = $2 AND NOT EXISTS (SELECT 1 FROM customer_values a WHERE a.version = $1 AND a.customer_id = b.customer_id)')
  const [gLeft] = await q<{ n: number }>('SELECT count(*)::int AS n FROM customer_values a WHERE a.version = $1 AND NOT EXISTS (SELECT 1 FROM customer_values b WHERE b.version = $2 AND b.customer_id = a.customer_id)')
  const gBoth = gCells.reduce((s, c) => s + c.n, 0)
  t.equal(g.from.length * g.to.length, 121, 'the 11 x 11 RFM group matrix')
  t.equal((g.counts as number[][]).flat().reduce((s, c) => s + c, 0), gBoth, 'group cells sum to the customers with values in both')
  const gWrong = g.from.flatMap((u: string, i: number) => g.to.map((v: string, j: number) => [u, v, g.counts[i][j], gCells.find((c) => c.u === u && c.v === v)?.n ?? 0]))
    .filter(([, , got, want]: [string, string, number, number]) => got !== want)
  t.same(gWrong, [], 'every group cell as SQL counts it')
  t.same([g.entered.count, g.left.count], [gEntered!.n, gLeft!.n], 'group entered and left as SQL counts them')
  let gBest = { u: '', v: '', n: -1 }
  for (const c of gCells) if (c.u !== c.v && c.n > gBest.n) gBest = c
  const gExpected = await app.db.query<{ customer_id: string; clv: number | null }>(
    `SELECT a.customer_id, b.clv FROM customer_values a JOIN customer_values b ON b.customer_id = a.customer_id
      WHERE a.version = $1 AND b.version = $2 AND a.rfm_group = $3 AND b.rfm_group = $4
      ORDER BY b.clv DESC NULLS LAST, a.customer_id COLLATE "C"`, [v1, v2, gBest.u, gBest.v])
  const gUrl = `/models/${v2}/movers?fromGroup=${encodeURIComponent(gBest.u)}&toGroup=${encodeURIComponent(gBest.v)}&limit=10000`
  const gPage = (await app.inject({ url: gUrl })).json()
  t.comment(`RFM groups: ${gBoth} in both; largest move ${gBest.u} → ${gBest.v}: ${gBest.n}`)
  t.equal(gPage.total, gBest.n, 'the group movers total is the cell')
  t.same(gPage.movers.map((x: { customerId: string; clv: number | null }) => [x.customerId, x.clv]), gExpected.map((r) => [r.customer_id, r.clv]), 'the same customers and CLV, most valuable first')
  const gLines = (await app.inject({ url: `${gUrl}&format=csv` })).body.trim().split('\r\n')
  t.equal(gLines[0], 'customer_id,from_version,from_group,to_version,to_group,clv')
  t.same(gLines.slice(1).map((l) => l.split(',')[0]), gExpected.map((r) => r.customer_id), 'the group CSV in the same order')

  // A customer in both versions: each history entry is that version's prediction.
  const [someone] = await app.db.query<{ customer_id: string }>(
    'SELECT a.customer_id FROM assignments a JOIN assignments b ON b.customer_id = a.customer_id WHERE a.version = $1 AND b.version = $2 AND a.segment <> b.segment ORDER BY a.customer_id LIMIT 1', [v1, v2])
  const id = someone!.customer_id
  const h = (await app.inject({ url: `/customers/${id}/history` })).json()
  t.same(h.versions.map((e: { version: number }) => e.version), [v2, v1], `customer ${id}: newest first`)
  for (const [entry, model] of [[h.versions[0], m2], [h.versions[1], m1]]) {
    await entryMatchesPrediction(t, app, id, entry)
    t.same([entry.asOf, entry.window], [model.asOf, model.window], `v${entry.version}: asOf and window as on GET /models`)
  }
  t.not(h.versions[0].segment.id, h.versions[1].segment.id, 'a customer who moved')
})
