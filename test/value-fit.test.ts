// Maximum-likelihood fits of the value models: the published CDNOW results, recovery of known
// parameters from simulated data, poor starting points, and the optimum against scipy's.
import t from 'tap'
import { oracle } from './helpers/value-oracle.ts'
import { simulateBgNbd, simulateBgNbdHistories, simulateGammaGamma } from './helpers/value-sim.ts'
import { aggregateRf, bgnbdExpectedPurchases, fitBgNbd, type BgNbdParams } from '../src/value/bgnbd.ts'
import { fitGammaGamma, type GammaGammaParams } from '../src/value/gamma-gamma.ts'
import { summarizeCustomer } from '../src/value/summary.ts'
import { evaluateHoldout, holdoutActuals, type HoldoutCustomer } from '../src/value/holdout.ts'
import { cdnowSummary as cdnow } from './helpers/data.ts'

const rel = (a: number, b: number): number => Math.abs(a - b) / Math.abs(b)
const sig3 = (v: number): string => Number(v.toPrecision(3)).toString()


// Starting points far from the answers: the fit has to walk several orders of magnitude.
const POOR_BGNBD: BgNbdParams[] = [
  { r: 50, alpha: 0.01, a: 30, b: 0.02 },
  { r: 0.001, alpha: 5000, a: 0.01, b: 100 },
]
const POOR_GG: GammaGammaParams[] = [
  { p: 0.01, q: 80, gamma: 0.1 },
  { p: 100, q: 1.01, gamma: 5000 },
]

t.test('CDNOW (2,357 customers, weeks): the published BG/NBD fit', async (t) => {
  const data = cdnow()
  t.equal(data.length, 2357)
  t.equal(data.filter((c) => c.x > 0).length, 946)
  const fit = fitBgNbd(data)
  // Fader, Hardie & Lee (2005), Marketing Science 24(2), section 5: r = 0.243, α = 4.414, a = 0.793,
  // b = 2.426, LL = −9582.4
  t.same([sig3(fit.r), sig3(fit.alpha), sig3(fit.a), sig3(fit.b)], ['0.243', '4.41', '0.793', '2.43'])
  t.equal(fit.logLikelihood.toFixed(1), '-9582.4')
  t.ok(fit.converged)
  t.equal(fit.customers, 2357)
  const ref = oracle<{ params: number[]; logLikelihood: number }>({
    op: 'fit_bgnbd',
    x: data.map((c) => c.x),
    tx: data.map((c) => c.tx),
    T: data.map((c) => c.T),
    starts: [[1, 1, 1, 1]],
  })
  t.ok(fit.logLikelihood >= ref.logLikelihood - 1e-7, `LL ${fit.logLikelihood} ≥ scipy's ${ref.logLikelihood}`)
  for (const poor of POOR_BGNBD) {
    const f = fitBgNbd(data, { starts: [poor] })
    t.ok(f.converged && Math.abs(f.logLikelihood - fit.logLikelihood) < 1e-6, `from ${JSON.stringify(poor)}: LL ${f.logLikelihood}`)
  }
  // the paper's worked example: a customer with x = 2, tx = 30.43, T = 38.86 is expected to make
  // 1.226 purchases in the next 39 weeks
  t.equal(bgnbdExpectedPurchases(fit, { x: 2, tx: 30.43, T: 38.86 }, 39).toFixed(3), '1.226')
})

t.test('CDNOW: the published Gamma-Gamma fit on the 946 repeat customers', async (t) => {
  const data = cdnow().map((c) => ({ x: c.x, meanValue: c.zbar }))
  const fit = fitGammaGamma(data)
  // Fader & Hardie, "The Gamma-Gamma model of monetary value" (2013): p = 6.25, q = 3.74, γ = 15.44
  t.same([sig3(fit.p), sig3(fit.q), sig3(fit.gamma)], ['6.25', '3.74', '15.4'])
  // CLVTools' correctness test (tests/testthat/test_correctness_gg.R) gives LL −4055.9177 on its
  // CDNOW copy; the mean values here are rounded to cents, which moves the LL by ~0.006
  t.ok(Math.abs(fit.logLikelihood - -4055.9177) < 0.01, `LL ${fit.logLikelihood}`)
  t.equal(fit.customers, 946)
  t.ok(fit.converged)
  const rep = data.filter((c) => c.x > 0)
  const ref = oracle<{ params: number[]; logLikelihood: number }>({ op: 'fit_gg', x: rep.map((c) => c.x), m: rep.map((c) => c.meanValue), starts: [[1, 1, 1]] })
  t.ok(fit.logLikelihood >= ref.logLikelihood - 1e-7, `LL ${fit.logLikelihood} ≥ scipy's ${ref.logLikelihood}`)
  for (const poor of POOR_GG) {
    const f = fitGammaGamma(data, { starts: [poor] })
    t.ok(f.converged && Math.abs(f.logLikelihood - fit.logLikelihood) < 1e-6, `from ${JSON.stringify(poor)}: LL ${f.logLikelihood}`)
  }
})

t.test('BG/NBD recovers the parameters it simulated (20,000 customers)', async (t) => {
  // days; an active population observed 1-2 years, so that a and b (the drop-out mix) are
  // identified to ~2 % at this size (over seeds 1-4 the worst parameter error was 1.9 %)
  const truth: BgNbdParams = { r: 4, alpha: 20, a: 1.2, b: 2 }
  const data = simulateBgNbd(truth, { customers: 20000, seed: 1, minT: 365, maxT: 730 })
  const fit = fitBgNbd(data)
  t.ok(fit.converged)
  for (const k of ['r', 'alpha', 'a', 'b'] as const) t.ok(rel(fit[k], truth[k]) < 0.05, `${k}: ${fit[k].toFixed(4)} vs ${truth[k]} (${(100 * rel(fit[k], truth[k])).toFixed(2)} %)`)
  for (const poor of POOR_BGNBD) {
    const f = fitBgNbd(data, { starts: [poor] })
    t.ok(f.converged && Math.abs(f.logLikelihood - fit.logLikelihood) < 1e-6, `from ${JSON.stringify(poor)}`)
  }
  const ref = oracle<{ params: number[]; logLikelihood: number }>({
    op: 'fit_bgnbd',
    x: data.map((c) => c.x),
    tx: data.map((c) => c.tx),
    T: data.map((c) => c.T),
    starts: [[1, 10, 1, 1]],
  })
  t.ok(fit.logLikelihood >= ref.logLikelihood - 1e-7, `LL ${fit.logLikelihood} ≥ scipy's ${ref.logLikelihood}`)
  const names = ['r', 'alpha', 'a', 'b'] as const
  names.forEach((k, i) => t.ok(rel(fit[k], ref.params[i]!) < 1e-4, `${k} = scipy's to 1e-4`))
  // whole days, as the service sees them: identical (x, tx, T) aggregate, the fit is unchanged by it
  const days = simulateBgNbd(truth, { customers: 20000, seed: 2, minT: 365, maxT: 730, days: true })
  const agg = aggregateRf(days)
  t.ok(agg.x.length < days.length, `${days.length} customers, ${agg.x.length} distinct (x, tx, T)`)
  const a = fitBgNbd(agg)
  const b = fitBgNbd(days.slice().reverse())
  t.ok(Math.abs(a.logLikelihood - b.logLikelihood) < 1e-6 * Math.abs(a.logLikelihood))
})

t.test('Gamma-Gamma recovers the parameters it simulated (50,000 customers)', async (t) => {
  // 50,000 rather than 20,000: at 20,000 the sampling error of (p, q, γ) alone is 1-7 % over
  // seeds (p and γ trade off), too close to the 5 % bound to say anything about the code
  const truth: GammaGammaParams = { p: 1.5, q: 2.5, gamma: 20 }
  const data = simulateGammaGamma(truth, { customers: 50000, seed: 1, maxX: 6 })
  const fit = fitGammaGamma(data)
  t.ok(fit.converged)
  for (const k of ['p', 'q', 'gamma'] as const) t.ok(rel(fit[k], truth[k]) < 0.05, `${k}: ${fit[k].toFixed(4)} vs ${truth[k]} (${(100 * rel(fit[k], truth[k])).toFixed(2)} %)`)
  for (const poor of POOR_GG) {
    const f = fitGammaGamma(data, { starts: [poor] })
    t.ok(f.converged && Math.abs(f.logLikelihood - fit.logLikelihood) < 1e-6 * Math.abs(fit.logLikelihood), `from ${JSON.stringify(poor)}`)
  }
  const ref = oracle<{ params: number[]; logLikelihood: number }>({ op: 'fit_gg', x: data.map((c) => c.x), m: data.map((c) => c.meanValue), starts: [[1, 2, 10]] })
  t.ok(fit.logLikelihood >= ref.logLikelihood - 1e-7, `LL ${fit.logLikelihood} ≥ scipy's ${ref.logLikelihood}`)
  const names = ['p', 'q', 'gamma'] as const
  names.forEach((k, i) => t.ok(rel(fit[k], ref.params[i]!) < 1e-4, `${k} = scipy's to 1e-4`))
})

t.test('holdout on histories simulated in days: the model predicts the holdout, the baseline does worse', async (t) => {
  // calibration: first purchases on days 0..273, asOf day 365, holdout the 91 days after
  const truth: BgNbdParams = { r: 1, alpha: 30, a: 0.5, b: 3 }
  const asOf = 365
  const histories = simulateBgNbdHistories(truth, { customers: 20000, seed: 3, lastBirthDay: 273, endDay: asOf + 91 })
  const customers: HoldoutCustomer[] = histories.map((days) => {
    const s = summarizeCustomer(days, asOf)
    if (!s.ok) throw new Error('every simulated customer buys before asOf')
    const a = holdoutActuals(days, asOf, 91)
    return { summary: s.summary, actualPurchases: a.purchases, actualValue: a.value }
  })
  const fit = fitBgNbd(customers.map((c) => c.summary))
  t.ok(fit.converged)
  const ev = evaluateHoldout(customers, fit, null, 91)
  t.ok(rel(ev.purchases.predicted, ev.purchases.actual) < 0.05, `holdout purchases: predicted ${ev.purchases.predicted.toFixed(0)}, actual ${ev.purchases.actual}, baseline ${ev.purchases.baseline.toFixed(0)}`)
  t.ok(ev.mae.purchases.model < ev.mae.purchases.baseline, `MAE model ${ev.mae.purchases.model.toFixed(3)} < baseline ${ev.mae.purchases.baseline.toFixed(3)}`)
  for (const row of ev.byRepeatCount) {
    if (row.customers >= 1000) t.ok(rel(row.meanPredicted, row.meanActual) < 0.1, `x = ${row.repeatCount} (${row.customers}): predicted ${row.meanPredicted.toFixed(3)}, actual ${row.meanActual.toFixed(3)}`)
  }
})
