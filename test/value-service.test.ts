// The value model through the service: POST /train with asOf / holdoutDays, the version's value
// model (GET /models/{v}) and holdout evaluation (GET /models/{v}/evaluation), checked against the
// value library run directly on the same file (summary and holdout actuals recomputed here from
// the cleaned lines, without the feature pass or the database).
import { readFileSync } from 'node:fs'
import type { FastifyInstance } from 'fastify'
import t from 'tap'
import { backend } from './helpers/db.ts'
import { testApp } from './helpers/app.ts'
import { cleanedLinesByCustomer } from './helpers/cleaned-lines.ts'
import { waitForJob } from './helpers/train.ts'
import { loadRetailCsvGz, sortByCustomer } from './helpers/retail-csv.ts'
import { purchaseDaysFromLines, summarizeCustomer } from '../src/value/summary.ts'
import { holdoutActuals } from '../src/value/holdout.ts'

const PATH = 'test/fixtures/online_retail_sample_445.csv.gz'

/** The ended job, or POST /train's answer when it is not accepted (the 400s below). */
async function train(app: FastifyInstance, payload: object): Promise<any> {
  const res = await app.inject({ method: 'POST', url: '/train', payload })
  if (res.statusCode !== 202) return res
  return waitForJob(app, res.json().id as string)
}

/** Calibration customers and holdout purchases straight from the file (the library, no service). */
function expected(asOfDay: number, holdoutDays: number) {
  const lines = cleanedLinesByCustomer(sortByCustomer(loadRetailCsvGz(PATH)))
  let customers = 0
  let purchases = 0
  let lastDay = 0
  const byRepeat = new Array<number>(8).fill(0)
  for (const l of lines.values()) {
    const days = purchaseDaysFromLines(l)
    for (const d of days) lastDay = Math.max(lastDay, d.day)
    const s = summarizeCustomer(days, asOfDay)
    if (!s.ok) continue
    customers++
    byRepeat[Math.min(s.summary.x, 7)]!++
    purchases += holdoutActuals(days, asOfDay, holdoutDays).purchases
  }
  return { customers, purchases, byRepeat, lastDay }
}

const iso = (day: number) => new Date(day * 86_400_000).toISOString().slice(0, 10)

t.test(`customer value through the service on ${backend}`, async (t) => {
  const { app } = await testApp(t)
  const up = await app.inject({ method: 'POST', url: '/datasets', payload: readFileSync(PATH), headers: { 'content-type': 'application/gzip' } })
  t.equal(up.statusCode, 201, up.body.slice(0, 300))
  const lastDay = expected(0, 0).lastDay

  t.test('holdoutDays: asOf is the last day less the holdout; the evaluation matches the library', async (t) => {
    const job = await train(app, { holdoutDays: 91, activate: 'always' })
    t.equal(job.status, 'succeeded', job.error ?? '')
    const model = (await app.inject({ url: `/models/${job.modelVersion}` })).json()
    const asOfDay = lastDay - 91
    t.equal(model.asOf, iso(asOfDay))
    t.match(model.value, { asOf: iso(asOfDay), timeUnit: 'day', bgnbd: { converged: Boolean }, gammaGamma: { converged: Boolean } })
    for (const k of ['r', 'alpha', 'a', 'b']) t.ok(model.value.bgnbd[k] > 0, `bgnbd.${k} > 0`)
    for (const k of ['p', 'q', 'gamma']) t.ok(model.value.gammaGamma[k] > 0, `gammaGamma.${k} > 0`)
    const want = expected(asOfDay, 91)
    t.equal(model.value.bgnbd.customers, want.customers, 'BG/NBD fitted on every customer with a purchase day up to asOf')
    t.ok(model.value.bgnbd.logLikelihood < 0)

    const ev = (await app.inject({ url: `/models/${job.modelVersion}/evaluation` })).json()
    t.equal(ev.asOf, iso(asOfDay))
    t.equal(ev.evaluation.holdoutDays, 91)
    t.equal(ev.evaluation.customers, want.customers)
    t.equal(ev.evaluation.purchases.actual, want.purchases, 'actual repeat purchase days in the holdout')
    t.same(ev.evaluation.byRepeatCount.map((r: any) => r.customers), want.byRepeat, 'the table by calibration repeat count 0..7+')
    t.same(ev.evaluation.byRepeatCount.map((r: any) => r.repeatCount), ['0', '1', '2', '3', '4', '5', '6', '7+'])
    const sumPredicted = ev.evaluation.byRepeatCount.reduce((s: number, r: any) => s + r.meanPredicted * r.customers, 0)
    t.ok(Math.abs(sumPredicted - ev.evaluation.purchases.predicted) < 1e-6 * Math.max(1, sumPredicted), 'rows add up to the total')
    t.ok(ev.evaluation.mae.purchases.model >= 0 && ev.evaluation.rmse.purchases.baseline >= 0)
  })

  t.test('predictions carry value and RFM; another horizon or rate is computed on the fly', async (t) => {
    const list = (await app.inject({ url: '/segments' })).json()
    t.ok(list)
    const ids = ['12347', '12348', '12349', '12350']
    let seen = 0
    for (const id of ids) {
      const res = await app.inject({ url: `/predict/customer/${id}` })
      if (res.statusCode !== 200) continue
      seen++
      const p = res.json()
      t.match(p.rfm, { r: Number, f: Number, m: Number, score: String, group: String })
      if (p.value === null) continue
      t.match(p.value, { expectedPurchases: { days: 365 }, clv: { days: 365, discountRate: 0.1 }, churnRisk: /^(low|medium|high)$/ })
      t.ok(p.value.pAlive >= 0 && p.value.pAlive <= 1)
      t.equal(p.value.recencyDays, p.value.ageDays - (p.value.ageDays - p.value.recencyDays))
      const short = (await app.inject({ url: `/predict/customer/${id}?horizonDays=30&discountRate=0` })).json()
      t.equal(short.value.expectedPurchases.days, 30)
      t.ok(short.value.expectedPurchases.value <= p.value.expectedPurchases.value + 1e-12, 'fewer purchases expected in 30 days than in 365')
      t.ok(Math.abs(short.value.clv.value - short.value.expectedPurchases.value * short.value.expectedOrderValue) < 1e-6 * Math.max(1, short.value.clv.value), 'undiscounted CLV = purchases × order value')
      const again = (await app.inject({ url: `/predict/customer/${id}` })).json()
      t.same(again.value, p.value, 'the default answer is unchanged by the other query')
      const batch = (await app.inject({ method: 'POST', url: '/predict/customers?horizonDays=30&discountRate=0', payload: { customerIds: [id] } })).json()
      t.same(batch.predictions[0].value, short.value, 'the batch takes the same query')
    }
    t.ok(seen > 0, 'some sample customers are known')
    t.equal((await app.inject({ url: `/predict/customer/${ids[0]}?horizonDays=0` })).statusCode, 400)
  })

  t.test('raw transactions of a new customer get a value as of the version\'s asOf', async (t) => {
    const model = (await app.inject({ url: '/models/active' })).json()
    const asOf = model.asOf
    const rows = [
      { InvoiceNo: '900001', StockCode: '85123A', Description: 'WHITE HANGING HEART T-LIGHT HOLDER', Quantity: 6, InvoiceDate: `${asOf} 10:00`, UnitPrice: 2.55, CustomerID: '99999', Country: 'United Kingdom' },
    ]
    const res = await app.inject({ method: 'POST', url: '/predict/customer', payload: { transactions: rows } })
    t.equal(res.statusCode, 200, res.body.slice(0, 300))
    const p = res.json()
    t.match(p.value, { purchases: 1, recencyDays: 0, ageDays: 0, pAlive: 1 })
    t.ok(Math.abs(p.value.expectedOrderValue - (model.value.gammaGamma.p * model.value.gammaGamma.gamma) / (model.value.gammaGamma.q - 1)) < 1e-9, 'one purchase: the Gamma-Gamma population mean')
    t.match(p.rfm, { r: 5, score: String })
    const cancelled = [{ ...rows[0], InvoiceNo: 'C900002', Quantity: -6 }]
    const c = (await app.inject({ method: 'POST', url: '/predict/customer', payload: { transactions: cancelled } })).json()
    t.equal(c.value, null, 'cancellations only: no value')
    t.equal(c.valueReason, 'no-purchase-days', 'and the reason')
  })

  t.test('campaign lists and segment value aggregates', async (t) => {
    const top = (await app.inject({ url: '/customers?sort=clv&limit=5' })).json()
    t.equal(top.customers.length, 5)
    for (let i = 1; i < 5; i++) t.ok(top.customers[i - 1].clv >= top.customers[i].clv, 'sorted by CLV, highest first')
    const first = (await app.inject({ url: `/predict/customer/${top.customers[0].customerId}` })).json()
    t.equal(first.value.clv.value, top.customers[0].clv, 'the list and the prediction agree')
    const byAlive = (await app.inject({ url: '/customers?sort=pAlive&order=asc&limit=20' })).json().customers
    for (let i = 1; i < byAlive.length; i++) t.ok(byAlive[i - 1].pAlive <= byAlive[i].pAlive, 'ascending P(alive)')
    const risky = (await app.inject({ url: '/customers?churnRisk=high&limit=100000' })).json().customers
    t.ok(risky.every((c: any) => c.churnRisk === 'high' && c.pAlive < 0.3))
    const all = (await app.inject({ url: '/customers?limit=100000' })).json().customers
    const segments = (await app.inject({ url: '/segments' })).json()
    for (const s of segments) {
      const members = all.filter((c: any) => c.segment === s.id)
      t.equal(s.value.customers, members.length, `segment ${s.id}: valued members`)
      const total = members.reduce((x: number, c: any) => x + c.clv, 0)
      t.ok(Math.abs(s.value.totalClv - total) <= 1e-6 * Math.max(1, total), `segment ${s.id}: total CLV`)
      const shares = Object.values(s.value.rfmGroups as Record<string, number>).reduce((x, y) => x + y, 0)
      t.ok(Math.abs(shares - 1) < 1e-9, 'RFM group shares add to 1')
      const seg = (await app.inject({ url: `/customers?segment=${s.id}&limit=100000` })).json().customers
      t.equal(seg.length, members.length, 'segment filter')
    }
    const csv = await app.inject({ url: '/customers?limit=3&format=csv' })
    t.match(csv.headers['content-type'], /text\/csv/)
    const lines = csv.body.trim().split('\r\n')
    t.equal(lines[0], 'customerId,segment,pAlive,expectedPurchases,expectedOrderValue,clv,churnRisk,rfmScore,rfmGroup')
    t.equal(lines.length, 4)
    t.equal((await app.inject({ url: '/customers?rfmGroup=Nobody' })).statusCode, 400)
  })

  t.test('asOf without holdoutDays: the holdout runs to the end of the data', async (t) => {
    const asOfDay = lastDay - 60
    const job = await train(app, { asOf: iso(asOfDay), activate: 'never' })
    t.equal(job.status, 'succeeded', job.error ?? '')
    const ev = (await app.inject({ url: `/models/${job.modelVersion}/evaluation` })).json()
    t.equal(ev.evaluation.holdoutDays, 60)
    t.equal(ev.evaluation.purchases.actual, expected(asOfDay, 60).purchases)
  })

  t.test('no asOf, no holdout: asOf is the last invoice day, the evaluation is null', async (t) => {
    const job = await train(app, { activate: 'never' })
    t.equal(job.status, 'succeeded', job.error ?? '')
    const ev = (await app.inject({ url: `/models/${job.modelVersion}/evaluation` })).json()
    t.equal(ev.asOf, iso(lastDay))
    t.equal(ev.evaluation, null)
  })

  t.test('bad windows', async (t) => {
    const res = await train(app, { asOf: '2011-02-30' })
    t.equal(res.statusCode, 400, 'not a calendar day')
    t.match(res.headers['content-type'], /problem\+json/)
    t.equal((await train(app, { asOf: '9 Sept' })).statusCode, 400, 'not YYYY-MM-DD')
    t.equal((await train(app, { holdoutDays: 0 })).statusCode, 400)
    const past = await train(app, { asOf: iso(lastDay - 10), holdoutDays: 30 })
    t.equal(past.status, 'failed', 'a holdout past the end of the data fails the job')
    t.match(past.error, /after the data's last invoice day/)
    t.equal((await app.inject({ url: '/models/999/evaluation' })).statusCode, 404)
  })
})
