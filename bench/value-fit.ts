// The value models' fit and scoring times at the sizes of the training bench (x1 ≈ 4,400
// customers, x10 ≈ 44,000), on data simulated in whole days like the service's (T up to a year).
// `npm run bench -- value-fit`. The budget for the later integration: fits ≤ 0.3 s at x1, ≤ 3 s at x10.
import { simulateBgNbd, simulateGammaGamma } from '../test/helpers/value-sim.ts'
import { aggregateRf, bgnbdExpectedPurchases, bgnbdPAlive, fitBgNbd } from '../src/value/bgnbd.ts'
import { fitGammaGamma, ggExpectedValue } from '../src/value/gamma-gamma.ts'
import { customerLifetimeValue } from '../src/value/clv.ts'

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}

export async function run(args: string[]): Promise<void> {
  const reps = Number(args[0] ?? 5)
  // roughly the UCI data's fit in days
  const truth = { r: 0.8, alpha: 60, a: 0.35, b: 3.2 }
  for (const [label, n] of [
    ['x1', 4400],
    ['x10', 44000],
  ] as const) {
    const rf = simulateBgNbd(truth, { customers: n, seed: 7, minT: 0, maxT: 373, days: true })
    const spend = simulateGammaGamma({ p: 3, q: 4, gamma: 30 }, { customers: n, seed: 8, maxX: 10 }).map((s, i) => ({ x: rf[i]!.x, meanValue: rf[i]!.x > 0 ? s.meanValue : 0 }))
    const tAgg: number[] = []
    const tBg: number[] = []
    const tGg: number[] = []
    const tScore: number[] = []
    let iters = ''
    let distinct = 0
    for (let k = 0; k < reps; k++) {
      let t0 = performance.now()
      const agg = aggregateRf(rf)
      tAgg.push(performance.now() - t0)
      distinct = agg.x.length
      t0 = performance.now()
      const bg = fitBgNbd(agg)
      tBg.push(performance.now() - t0)
      t0 = performance.now()
      const gg = fitGammaGamma(spend)
      tGg.push(performance.now() - t0)
      iters = `BG/NBD ${bg.iterations} iterations (${bg.converged ? 'converged' : 'NOT converged'}), GG ${gg.iterations} (${gg.converged ? 'converged' : 'NOT converged'})`
      // per-customer scoring: P(alive), E[X] over 365 days, expected value, CLV (13 monthly steps)
      t0 = performance.now()
      let sum = 0
      for (let i = 0; i < n; i++) {
        const c = rf[i]!
        const v = ggExpectedValue(gg, c.x, c.x > 0 ? spend[i]!.meanValue : null) ?? 0
        sum += bgnbdPAlive(bg, c) + bgnbdExpectedPurchases(bg, c, 365) + customerLifetimeValue(bg, c, v).value
      }
      tScore.push(performance.now() - t0)
      if (!Number.isFinite(sum)) throw new Error('non-finite score')
    }
    const fit = tAgg.map((a, i) => a + tBg[i]! + tGg[i]!)
    console.log(
      `${label} (${n} customers, ${distinct} distinct (x, tx, T)): fits ${median(fit).toFixed(0)} ms median of ${reps} ` +
        `(aggregate ${median(tAgg).toFixed(0)}, BG/NBD ${median(tBg).toFixed(0)}, Gamma-Gamma ${median(tGg).toFixed(0)}; max ${Math.max(...fit).toFixed(0)}); ` +
        `${iters}; scoring every customer ${median(tScore).toFixed(0)} ms`,
    )
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run(process.argv.slice(2))
