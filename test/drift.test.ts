// Drift statistics (src/drift): every statistic against values derived by hand or published
// tables, property tests, sketches, and the report on the real seed feature table.
import { readFileSync } from 'node:fs'
import fc from 'fast-check'
import t from 'tap'
import type { FeatureTable } from '../src/pipeline/types.ts'
import {
  binProportions,
  chiSquareAgainstReference,
  chiSquaredSf,
  chiSquareTest,
  erfc,
  jensenShannonDistance,
  kolmogorovNSf,
  kolmogorovSf,
  ksExactPValue,
  ksTwoSample,
  lnGamma,
  normalCdf,
  normalSf,
  normedWasserstein,
  proportionZTest,
  psi,
  psiBand,
  psiFromProportions,
  quantileEdges,
  regularizedGammaP,
  smirnovSf,
  wassersteinDistance,
} from '../src/drift/stats.ts'
import { apportion, DISTINCT_CAP, reconstructSample, sketchColumn, sketchTable } from '../src/drift/reference.ts'
import { driftReport, featureGroup, reconstructionShift, recommendation, segmentShift } from '../src/drift/report.ts'

type Test = Pick<typeof t, 'ok'>

/** |actual - expected| ≤ tol · max(1, |expected|). */
function near(t: Test, actual: number, expected: number, tol: number, msg: string): void {
  const ok = Math.abs(actual - expected) <= tol * Math.max(1, Math.abs(expected))
  t.ok(ok, `${msg}: ${actual} vs ${expected}`)
}
/** Relative closeness, for values far below 1. */
function rel(t: Test, actual: number, expected: number, tol: number, msg: string): void {
  t.ok(Math.abs(actual - expected) <= tol * Math.abs(expected), `${msg}: ${actual} vs ${expected}`)
}

/** C(n, k) as a float (small n). */
function choose(n: number, k: number): number {
  let r = 1
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i
  return r
}

t.test('distribution functions against published values', async (t) => {
  // Γ(1/2) = √π; Γ(10) = 9! = 362,880.
  near(t, lnGamma(0.5), Math.log(Math.sqrt(Math.PI)), 1e-14, 'lnΓ(1/2)')
  near(t, lnGamma(10), Math.log(362880), 1e-14, 'lnΓ(10)')
  // P(1, x) = 1 - e^-x (exponential CDF).
  near(t, regularizedGammaP(1, 2), 1 - Math.exp(-2), 1e-14, 'P(1, 2)')
  // Normal table: Φ(0) = 0.5, Φ(1.959964) = 0.975, Φ(1.644854) = 0.95, Φ(-1) = 0.158655 25393,
  // upper tail 1 - Φ(5) = 2.866516e-7.
  near(t, normalCdf(0), 0.5, 1e-15, 'Φ(0)')
  near(t, normalCdf(1.959963984540054), 0.975, 1e-13, 'Φ(1.96)')
  near(t, normalCdf(1.6448536269514722), 0.95, 1e-13, 'Φ(1.645)')
  near(t, normalCdf(-1), 0.15865525393145707, 1e-13, 'Φ(-1)')
  rel(t, normalSf(5), 2.866515718791933e-7, 1e-10, '1 - Φ(5)')
  near(t, erfc(0), 1, 1e-15, 'erfc(0)')
  // Chi-squared critical values (standard tables, 5 % and 1 %) for dof 1..3.
  const critical: [number, number, number][] = [
    [3.841458820694124, 1, 0.05], [5.991464547107979, 2, 0.05], [7.814727903251178, 3, 0.05],
    [6.634896601021214, 1, 0.01], [9.210340371976184, 2, 0.01], [11.344866730144373, 3, 0.01],
  ]
  for (const [x, dof, p] of critical) near(t, chiSquaredSf(x, dof), p, 1e-10, `χ²(${dof}) sf at ${x}`)
  // Closed forms: dof 1: erfc(√(x/2)) = 2(1 - Φ(√x)); dof 2: e^(-x/2);
  // dof 3: erfc(√(x/2)) + √(2x/π) e^(-x/2), at x = 3: 0.220671 + 0.308366 = 0.391625.
  near(t, chiSquaredSf(4, 1), 2 * normalSf(2), 1e-14, 'χ²(1) sf(4) = 2(1 - Φ(2))')
  near(t, chiSquaredSf(4, 1), 0.0455002638963584, 1e-12, 'χ²(1) sf(4)')
  near(t, chiSquaredSf(10, 2), Math.exp(-5), 1e-14, 'χ²(2) sf(10) = e^-5')
  near(t, chiSquaredSf(3, 3), 0.391625176271089, 1e-12, 'χ²(3) sf(3)')
  t.equal(chiSquaredSf(0, 3), 1)
  rel(t, chiSquaredSf(200, 2), Math.exp(-100), 1e-10, 'far tail, no cancellation')
  // Kolmogorov distribution: the classical critical values 1.2238 (10 %), 1.3581 (5 %), 1.6276 (1 %), 1.9495 (0.1 %).
  near(t, kolmogorovSf(1.2238), 0.1, 1e-4, 'K 10 %')
  near(t, kolmogorovSf(1.3581), 0.05, 1e-5, 'K 5 %')
  near(t, kolmogorovSf(1.6276), 0.01, 1e-5, 'K 1 %')
  near(t, kolmogorovSf(1.9495), 0.001, 1e-6, 'K 0.1 %')
  // The small-x (theta) and large-x (alternating) series agree where they meet.
  near(t, kolmogorovSf(1 - 1e-12), kolmogorovSf(1), 1e-10, 'series continuity at 1')
  // One-sample n = 1: D_1 = max(U, 1 - U) is uniform on [1/2, 1], so P(D_1 ≥ d) = 2(1 - d).
  near(t, kolmogorovNSf(1, 0.7), 0.6, 1e-12, 'P(D_1 ≥ 0.7)')
  // Ruben-Gambino upper tail: P(D_n ≥ d) = 2(1 - d)^n for d ≥ 1 - 1/n.
  near(t, kolmogorovNSf(10, 0.95), 2 * 0.05 ** 10, 1e-15, 'P(D_10 ≥ 0.95)')
  // Birnbaum-Tingey by hand, n = 5, d = 0.6: j = 0: 0.4^5 = 0.01024; j = 1: 0.6·5·0.2^4 = 0.0048;
  // j = 2: (1 - 0.6 - 0.4)^3 = 0. Sum 0.01504.
  near(t, smirnovSf(5, 0.6), 0.01504, 1e-14, 'smirnov(5, 0.6)')
  // scipy 1.17.1: stats.kstwo.sf(0.02, 10000) = 0.0006616848639387309 (Pelz-Good region),
  // kstwo.sf(0.1, 400) = 0.00061917972480233 (2·smirnov region); for n ≤ 140 scipy uses the
  // exact Pomeranz / Durbin algorithms where this uses those approximations: kstwo.sf(0.15, 100)
  // = 0.019839242125643017 there, 0.0198392568 here.
  rel(t, kolmogorovNSf(10000, 0.02), 0.0006616848639387309, 1e-8, 'kstwo.sf(0.02, 10000)')
  rel(t, kolmogorovNSf(400, 0.1), 0.00061917972480233, 1e-10, 'kstwo.sf(0.1, 400)')
  rel(t, kolmogorovNSf(100, 0.15), 0.019839242125643017, 1e-5, 'kstwo.sf(0.15, 100), approximately')
  // For large n it tends to the limiting distribution.
  near(t, kolmogorovNSf(1e6, 1.3581 / 1000), 0.05, 1e-3, 'kstwo → kstwobign')
})

t.test('two-sample Kolmogorov-Smirnov', async (t) => {
  // Disjoint samples: D = 1. Only the two orderings "all x first" / "all y first" reach it:
  // p = 2 / C(10, 5) = 2/252 (scipy: 0.007936507936507936).
  let r = ksTwoSample([1, 2, 3, 4, 5], [6, 7, 8, 9, 10])
  t.equal(r.statistic, 1)
  t.equal(r.method, 'exact')
  near(t, r.pValue, 2 / 252, 1e-14, 'p, 5 vs 5 disjoint')
  // x = 1..5, y = 3..7: F_x(2) = 0.4, F_y(2) = 0 → D = 0.4 = h/n with h = 2. For m = n the
  // reflection principle gives P(D ≥ h/n) = 2 Σ_k (-1)^(k+1) C(2n, n - kh) / C(2n, n)
  // = 2 (C(10, 3) - C(10, 1)) / 252 = 220/252 = 0.873015873 (scipy: 0.873015873015873).
  r = ksTwoSample([1, 2, 3, 4, 5], [3, 4, 5, 6, 7])
  near(t, r.statistic, 0.4, 1e-15, 'D = 0.4')
  near(t, r.pValue, 220 / 252, 1e-14, 'p = 220/252')
  // Unequal sizes, disjoint: p = 2 / C(7, 3) = 2/35 (scipy: 0.05714285714285715).
  r = ksTwoSample([1, 2, 3], [4, 5, 6, 7])
  t.equal(r.statistic, 1)
  near(t, r.pValue, 2 / 35, 1e-14, 'p = 2/35')
  // Ties: x = 1,1,2,2 / y = 1,2,2,2: after 1, F_x = 0.5 and F_y = 0.25 → D = 0.25; after 2 both 1.
  r = ksTwoSample([1, 1, 2, 2], [1, 2, 2, 2])
  t.equal(r.statistic, 0.25)
  t.equal(r.pValue, 1, 'h = 1 of lcm 4: every path leaves |x - y| < 1 at once, as scipy')
  t.equal(ksTwoSample([3, 1, 2], [2, 3, 1]).pValue, 1, 'identical samples, unsorted input')
  // Asymptotic (both > 10,000): x = 0..19999, y = x + 200 → D = 200/20000 = 0.01 exactly,
  // p = kstwo.sf(0.01, round(en) = 10000) ≈ kstwobign.sf(√10000 · 0.01 = 1) = 0.27 (limit);
  // scipy 1.17.1 ks_2samp gives 0.2682191277029121.
  const x = Float64Array.from({ length: 20000 }, (_, i) => i)
  const y = x.map((v) => v + 200)
  r = ksTwoSample(x, y)
  t.equal(r.method, 'asymp')
  near(t, r.statistic, 0.01, 1e-12, 'D = 0.01')
  near(t, r.pValue, 0.2682191277029121, 1e-6, 'asymptotic p as scipy')
  near(t, r.pValue, kolmogorovSf(1), 0.005, 'close to the limiting distribution')
  // Forcing the method: the exact p of the same samples is close to the asymptotic one.
  const small = ksTwoSample(x.subarray(0, 3000), y.subarray(0, 3000), 'asymp')
  const exact = ksTwoSample(x.subarray(0, 3000), y.subarray(0, 3000), 'exact')
  near(t, small.pValue, exact.pValue, 0.01, 'asymp ≈ exact at n = 3000')
  t.throws(() => ksTwoSample([], [1]))

  // Exact p-values against brute force: every way of splitting the pooled (distinct) values
  // into samples of sizes n1 and n2 is equally likely under H0.
  fc.assert(fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: 1000 }), (n1, n2, seed) => {
    const pooled = Array.from({ length: n1 + n2 }, (_, i) => i)
    const perm = pooled.map((v) => [((v + 1) * 7919 * (seed + 3)) % 1009, v] as const).sort((a, b) => a[0] - b[0]).map((p) => p[1])
    const a = perm.slice(0, n1)
    const b = perm.slice(n1)
    const obs = ksTwoSample(a, b)
    let hits = 0
    let total = 0
    for (let mask = 0; mask < 1 << (n1 + n2); mask++) {
      let bits = 0
      for (let m = mask; m; m &= m - 1) bits++
      if (bits !== n1) continue
      const sa: number[] = []
      const sb: number[] = []
      pooled.forEach((v, i) => ((mask >> i) & 1 ? sa : sb).push(v))
      total++
      if (ksTwoSample(sa, sb).statistic >= obs.statistic - 1e-12) hits++
    }
    return Math.abs(obs.pValue - hits / total) < 1e-12 && total === choose(n1 + n2, n1)
  }), { numRuns: 60 })

  // Properties: D in [0, 1], symmetric, p in [0, 1]; a sample against itself: D = 0, p = 1.
  const sample = fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 60 })
  fc.assert(fc.property(sample, sample, (a, b) => {
    const ab = ksTwoSample(a, b)
    const ba = ksTwoSample(b, a)
    const self = ksTwoSample(a, a)
    return ab.statistic >= 0 && ab.statistic <= 1 && ab.statistic === ba.statistic && ab.pValue === ba.pValue &&
      ab.pValue >= 0 && ab.pValue <= 1 && self.statistic === 0 && self.pValue === 1
  }))
  // The exact p-value does not increase with d.
  fc.assert(fc.property(fc.integer({ min: 1, max: 80 }), fc.integer({ min: 1, max: 80 }), (n1, n2) => {
    let last = 1
    for (let d = 0; d <= 1; d += 0.05) {
      const p = ksExactPValue(n1, n2, d).pValue
      if (p > last + 1e-12) return false
      last = p
    }
    return true
  }), { numRuns: 50 })
})

t.test('Wasserstein, Jensen-Shannon, PSI', async (t) => {
  // scipy docs: wasserstein_distance([0, 1, 3], [5, 6, 8]) = 5 (a shift by 5).
  near(t, wassersteinDistance([0, 1, 3], [5, 6, 8]), 5, 1e-15, 'W1 shift')
  // [0, 2] vs [1]: |F_u - F_v| = 0.5 on [0, 1) and on [1, 2) → 1.
  near(t, wassersteinDistance([0, 2], [1]), 1, 1e-15, 'W1 by hand')
  // [1, 2, 3] vs [1, 2, 3, 4]: ECDF gaps 1/12, 1/6, 1/4 on unit intervals → 0.5 (= difference of means).
  near(t, wassersteinDistance([1, 2, 3], [1, 2, 3, 4]), 0.5, 1e-15, 'W1 unequal sizes')
  // Normed: std([0, 2]) = 1 → 1; a constant reference is floored at 0.001 (Evidently).
  near(t, normedWasserstein([0, 2], [1]), 1, 1e-15, 'normed W1')
  near(t, normedWasserstein([5, 5], [6]), 1000, 1e-12, 'normed W1, std floor')

  // JS: disjoint → √(ln 2) = 0.8325546 (natural log), 1 in base 2.
  near(t, jensenShannonDistance([1, 0], [0, 1]), Math.sqrt(Math.LN2), 1e-15, 'JS disjoint')
  near(t, jensenShannonDistance([1, 0, 0], [0, 1, 0], 2), 1, 1e-15, 'JS disjoint, base 2 (scipy docs)')
  // p = (1, 0), q = (½, ½): m = (¾, ¼); KL(p‖m) = ln(4/3), KL(q‖m) = ½ ln(2/3) + ½ ln 2 = ½ ln(4/3);
  // JSD = ¾ ln(4/3) → distance √(¾ ln(4/3)) = 0.46450140402245893 (the scipy docs example).
  near(t, jensenShannonDistance([1, 0], [0.5, 0.5]), Math.sqrt(0.75 * Math.log(4 / 3)), 1e-15, 'JS by hand')
  near(t, jensenShannonDistance([2, 0], [3, 3]), 0.46450140402245893, 1e-15, 'JS normalises counts')

  // PSI = Σ (c - r) ln(c / r): r = ¼ each, c = (.1, .2, .3, .4):
  // .15 ln 2.5 + .05 ln 1.25 + .05 ln 1.2 + .15 ln 1.6 = 0.1374436 + 0.0111572 + 0.0091161 + 0.0705005 = 0.2282174.
  near(t, psiFromProportions([0.25, 0.25, 0.25, 0.25], [0.1, 0.2, 0.3, 0.4]), 0.22821740957339184, 1e-14, 'PSI by hand')
  // Samples: reference 1..8 in 4 bins: quartiles (numpy linear) 2.75, 4.5, 6.25 → ¼ per bin;
  // current 1,1,1,1,5,6,7,8 → (½, 0, ¼, ¼); the empty bin counts as 1e-4:
  // ¼ ln 2 + (¼ - 1e-4) ln(¼ / 1e-4) = 0.1732868 + 1.9552291 = 2.1285159.
  const ref = [1, 2, 3, 4, 5, 6, 7, 8]
  t.same(quantileEdges(ref, 4), [2.75, 4.5, 6.25])
  t.same([...binProportions(ref, [2.75, 4.5, 6.25])], [0.25, 0.25, 0.25, 0.25])
  near(t, psi(ref, [1, 1, 1, 1, 5, 6, 7, 8], 4), 2.1285158932529735, 1e-14, 'PSI with an empty bin')
  t.equal(psi(ref, ref, 4), 0)
  t.same([0.05, 0.1, 0.2, 0.25, 0.3].map(psiBand), ['none', 'moderate', 'moderate', 'significant', 'significant'])

  const sample = fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 60 })
  fc.assert(fc.property(sample, sample, fc.double({ min: -1e3, max: 1e3, noNaN: true }), (a, b, c) => {
    const w = wassersteinDistance(a, b)
    const shift = wassersteinDistance(a, a.map((v) => v + c))
    return w >= 0 && Math.abs(w - wassersteinDistance(b, a)) <= 1e-9 * Math.max(1, w) && wassersteinDistance(a, a) === 0 &&
      Math.abs(shift - Math.abs(c)) <= 1e-6 * Math.max(1, Math.abs(c), ...a.map(Math.abs))
  }))
  const weights = fc.array(fc.double({ min: 0, max: 100, noNaN: true }), { minLength: 1, maxLength: 12 })
  fc.assert(fc.property(weights, weights, (p0, q0) => {
    const k = Math.min(p0.length, q0.length)
    const p = [...p0.slice(0, k), 1]
    const q = [...q0.slice(0, k), 1]
    const js = jensenShannonDistance(p, q)
    const js2 = jensenShannonDistance(p, q, 2)
    return js >= 0 && js <= Math.sqrt(Math.LN2) + 1e-12 && js2 <= 1 + 1e-12 && js === jensenShannonDistance(q, p) &&
      jensenShannonDistance(p, p.map((v) => 3 * v)) < 1e-7
  }))
  // A subnormal weight once made the mixture 0 and the distance Infinity (found by the property above).
  t.ok(Number.isFinite(jensenShannonDistance([5e-324, 1], [0, 1])), 'a subnormal weight gives a finite distance')
  fc.assert(fc.property(sample, sample, fc.integer({ min: 2, max: 20 }), (a, b, bins) => psi(a, b, bins) >= 0))
})

t.test('chi-squared and proportion tests', async (t) => {
  // 10, 20, 30 against 20 each: (100 + 0 + 100) / 20 = 10, dof 2, p = e^-5 (scipy.stats.chisquare).
  let c = chiSquareTest([10, 20, 30])
  t.same([c.statistic, c.dof], [10, 2])
  near(t, c.pValue, Math.exp(-5), 1e-14, 'p = e^-5')
  // 60 vs 40 against 50/50: 4, dof 1, p = 2(1 - Φ(2)) = 0.0455003.
  c = chiSquareTest([60, 40], [50, 50])
  t.same([c.statistic, c.dof], [4, 1])
  near(t, c.pValue, 0.0455002638963584, 1e-12, 'dof 1')
  // Evidently style: reference counts 30/30/40 rescaled to the current total (100 → 100);
  // current 40/30/30: 100/30 + 0 + 100/40 = 35/6, dof 2, p = e^(-35/12) = 0.0541138.
  c = chiSquareAgainstReference([30, 30, 40], [40, 30, 30])
  near(t, c.statistic, 35 / 6, 1e-14, 'chi² vs reference')
  near(t, c.pValue, Math.exp(-35 / 12), 1e-13, 'p = e^(-35/12)')
  // Reference counts are rescaled: 300/300/400 gives the same test.
  near(t, chiSquareAgainstReference([300, 300, 400], [40, 30, 30]).statistic, 35 / 6, 1e-14, 'rescaled')
  // A category the reference never had: infinite statistic, p = 0 (as scipy).
  c = chiSquareAgainstReference([10, 10, 0], [5, 5, 1])
  t.same([c.statistic, c.pValue], [Infinity, 0])

  // Two proportions: 50/100 vs 70/100, pooled 0.6: z = -0.2 / √(0.6·0.4·(1/100 + 1/100)) = -5/√3
  // = -2.8867513; p = 2(1 - Φ(2.8867513)) = erfc(5/√6) = 0.0038924171 (scipy 2·norm.sf: 0.003892417122778628).
  const z = proportionZTest(50, 100, 70, 100)
  near(t, z.statistic, -5 / Math.sqrt(3), 1e-14, 'z')
  near(t, z.pValue, 0.003892417122778628, 1e-12, 'two-sided p')
  t.same(proportionZTest(0, 10, 0, 20), { statistic: 0, pValue: 1 }, 'both constant and equal')
  fc.assert(fc.property(fc.double({ min: 0, max: 500, noNaN: true }), fc.double({ min: 0, max: 500, noNaN: true }), fc.integer({ min: 1, max: 30 }), (x, y, dof) => {
    const [lo, hi] = x < y ? [x, y] : [y, x]
    const a = chiSquaredSf(lo, dof)
    const b = chiSquaredSf(hi, dof)
    return a >= 0 && a <= 1 && b <= a + 1e-15 && Math.abs(normalCdf(x / 20) + normalCdf(-x / 20) - 1) < 1e-14
  }))
})

t.test('segment shares and reconstruction error', async (t) => {
  // Shares .5/.3/.2, counts 40/30/30 (total 100) → expected 50/30/20: 100/50 + 0 + 100/20 = 7,
  // dof 2, p = e^-3.5 = 0.0301974. JS (natural log) of (.5, .3, .2) vs (.4, .3, .3), m = (.45, .3, .25):
  // KL(p‖m) = .5 ln(.5/.45) + .2 ln(.2/.25) = 0.0080516, KL(q‖m) = .4 ln(.4/.45) + .3 ln(.3/.25) = 0.0075833,
  // √((0.0080516 + 0.0075833) / 2) = 0.0884161.
  const s = segmentShift([0.5, 0.3, 0.2], [40, 30, 30])
  near(t, s.statistic!, 7, 1e-14, 'chi²')
  t.equal(s.dof, 2)
  near(t, s.pValue, Math.exp(-3.5), 1e-14, 'p')
  near(t, s.jsDistance, 0.08841606285541162, 1e-12, 'JS')
  t.equal(s.shifted, false, 'JS < 0.1')
  t.same(s.currentShares, [0.4, 0.3, 0.3])
  const same = segmentShift([5, 3, 2], [500, 300, 200])
  t.same([same.statistic, same.pValue, same.jsDistance, same.shifted], [0, 1, 0, false])
  t.equal(segmentShift([0.5, 0.5], [90, 10]).shifted, true)

  const inside = reconstructionShift(1, 0.5, [1, 1.2, 0.8])
  t.match(inside, { currentMean: 1, lower: -0.5, upper: 2.5, outside: false, zScore: 0, shareAbove: 0 })
  const out = reconstructionShift(1, 0.5, [3, 3, 3, 2])
  t.match(out, { currentMean: 2.75, outside: true, zScore: 3.5, shareAbove: 0.75 })
})

t.test('reference sketches', async (t) => {
  // 1..10: mean 5.5, population std √8.25, median 5.5; 10 distinct values → category counts kept.
  const ten = Array.from({ length: 10 }, (_, i) => i + 1)
  const sk = sketchColumn(ten)
  t.match(sk, { count: 10, missing: 0, mean: 5.5, min: 1, max: 10, distinct: 10, distinctCapped: false, binary: false })
  near(t, sk.std, Math.sqrt(8.25), 1e-15, 'std (ddof 0)')
  t.equal(sk.levels.length, 201, 'no tail levels below 1/(2n)')
  t.equal(sk.quantiles[100], 5.5, 'median')
  t.same(sk.categories, { values: ten, counts: ten.map(() => 1) })
  t.same(JSON.parse(JSON.stringify(sk)), sk, 'JSON round trip')
  t.same([...reconstructSample(sk)], ten, 'categories give the column back')
  // n = 5 of 10 equally frequent values: cumulative rounding round(5 · k/10) keeps every other one.
  t.same([...reconstructSample(sk, 5)], [1, 3, 5, 7, 9], 'spread subsample')
  t.same(apportion([1, 1, 1], 5), [2, 1, 2])
  t.same(apportion([3, 1], 8), [6, 2])

  const binary = sketchColumn([0, 1, 1, 0, 1, Number.NaN, Infinity])
  t.match(binary, { count: 5, missing: 2, binary: true, categories: { values: [0, 1], counts: [2, 3] } })
  t.match(sketchColumn([]), { count: 0, quantiles: [], categories: null })
  // A linear column: the piecewise-linear inverse CDF gives it back exactly.
  const lin = Float64Array.from({ length: 5000 }, (_, i) => 2 * i - 1000)
  const ls = sketchColumn(lin.toReversed())
  t.match(ls, { distinct: DISTINCT_CAP, distinctCapped: true, categories: null, min: -1000, max: 8998 })
  t.ok(ls.levels.length > 201 && ls.levels.length < 230, `tail levels (${ls.levels.length})`)
  const back = reconstructSample(ls, 5000)
  t.ok(back.every((v, i) => Math.abs(v - lin[i]!) < 1e-9), 'linear column reconstructed')
  t.equal(reconstructSample(ls, 1)[0], 3999, 'n = 1: the median')
  // Properties: a reconstruction is ascending, of the asked size, within [min, max]; at full size
  // it has the column's extremes and its KS distance to the column is small.
  fc.assert(fc.property(fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 400 }), fc.integer({ min: 1, max: 500 }), (xs, n) => {
    const s = sketchColumn(xs)
    const r = reconstructSample(s, n)
    for (let i = 1; i < r.length; i++) if (r[i]! < r[i - 1]!) return false
    const full = reconstructSample(s)
    return r.length === n && r[0]! >= s.min && r[n - 1]! <= s.max && full.length === xs.length &&
      full[0] === s.min && full[xs.length - 1] === s.max && ksTwoSample(full, xs).statistic <= 0.01 + 1 / xs.length
  }))
  t.equal(featureGroup('Total_Spend'), 'monetary')
  t.same(['Days_Since_Last_Purchase', 'Total_Transactions', 'Cancellation_Rate', 'Hour', 'Is_UK', 'mean_gap_days', 'xyz'].map(featureGroup),
    ['recency', 'frequency', 'cancellation', 'shopping-time', 'country', 'frequency', 'other'])
})

// ---------------------------------------------------------------------------------------------
// Reports on the real seed feature table (15 features).

function loadSeed(path: string): FeatureTable {
  const lines = readFileSync(path, 'utf8').trim().split('\n')
  const features = lines[0]!.split(',').slice(1, 16)
  const rows = lines.slice(1).map((l) => l.split(','))
  const values = new Float64Array(rows.length * features.length)
  rows.forEach((r, i) => features.forEach((_, j) => (values[i * features.length + j] = Number(r[j + 1]))))
  return { recipe: 'original', recipeVersion: 1, features, customerIds: rows.map((r) => r[0]!), values, referenceDate: 0 }
}

function scaled(table: FeatureTable, columns: string[], k: number): FeatureTable {
  const values = table.values.slice()
  const cols = table.features.length
  for (const name of columns) {
    const c = table.features.indexOf(name)
    for (let i = c; i < values.length; i += cols) values[i] = values[i]! * k
  }
  return { ...table, values }
}

const MONETARY = ['Total_Spend', 'Average_Transaction_Value', 'Monthly_Spending_Mean', 'Monthly_Spending_Std']

t.test('drift report, large reference (4,282 customers: distances)', async (t) => {
  const table = loadSeed('test/fixtures/reference/seed_customer_features_4282.csv')
  const reference = sketchTable(table)
  t.same(JSON.parse(JSON.stringify(reference)), reference, 'sketches are plain JSON')

  const self = driftReport(reference, table)
  t.match(self, { referenceSize: 4282, currentSize: 4282, regime: 'distances', numberOfFeatures: 15, numberOfDrifted: 0, driftShare: 0, datasetDrift: false, skipped: [] })
  const methods = Object.fromEntries(self.features.map((f) => [f.feature, f.method]))
  t.equal(methods.Total_Spend, 'wasserstein')
  t.equal(methods.Is_UK, 'jensenshannon', 'binary: ≤ 5 values')
  t.equal(methods.Day_Of_Week, 'wasserstein', '7 weekdays > 5 values')
  for (const f of self.features) {
    t.ok(f.score < 0.01 && f.psi < 0.01 && f.psiBand === 'none' && f.threshold === 0.1, `${f.feature} vs itself: ${f.score}, PSI ${f.psi}`)
  }
  t.equal(recommendation(self), 'No drift: keep the model.')

  // Total_Spend x 4: W1 = 3·E|x| / std, far above 0.1; the other 14 features do not move.
  const x4 = driftReport(reference, scaled(table, ['Total_Spend'], 4))
  t.same(x4.driftedFeatures, ['Total_Spend'])
  const spend = x4.features.find((f) => f.feature === 'Total_Spend')!
  t.ok(spend.statistic! > 0.5 && spend.psiBand === 'significant', `Total_Spend W ${spend.statistic}, PSI ${spend.psi}`)
  near(t, spend.currentMean, 4 * spend.referenceMean, 1e-9, 'current mean x4')
  t.match(x4, { numberOfDrifted: 1, datasetDrift: false })
  near(t, x4.driftShare, 1 / 15, 1e-15, 'share')
  t.match(recommendation(x4), /^Monetary features drifted \(Total_Spend; 1 of 15 features.*keep the model/)
  // The rule: dataset drift when share ≥ driftShare.
  t.equal(driftReport(reference, scaled(table, ['Total_Spend'], 4), { driftShare: 1 / 15 }).datasetDrift, true)
  t.equal(driftReport(reference, scaled(table, ['Total_Spend'], 4), { driftShare: 0.07 }).datasetDrift, false)
  t.equal(driftReport(reference, scaled(table, ['Total_Spend'], 4), { threshold: 0.9 }).numberOfDrifted, 0, 'threshold option')

  // 8 of 15 features x 4: share 8/15 ≥ 0.5 → dataset drift, retrain.
  const eight = [...MONETARY, 'Total_Transactions', 'Total_Products_Purchased', 'Unique_Products_Purchased', 'Days_Since_Last_Purchase']
  const big = driftReport(reference, scaled(table, eight, 4))
  t.same(new Set(big.driftedFeatures), new Set(eight))
  t.match(big, { numberOfDrifted: 8, datasetDrift: true })
  t.equal(recommendation(big), 'Monetary, frequency and recency features drifted (Total_Spend, Average_Transaction_Value, Monthly_Spending_Mean, Monthly_Spending_Std, …; 8 of 15 features): retrain on recent data.')
  t.match(recommendation(self, { segments: segmentShift([0.5, 0.5], [90, 10]) }), /^Segment shares shifted \(Jensen-Shannon 0\.\d\d\): retrain/)
  t.match(recommendation(self, { reconstruction: reconstructionShift(1, 0.1, [2, 2]) }), /retrain on recent data\.$/)

  // Missing current feature → skipped; empty current → error.
  const fewer: FeatureTable = { ...table, features: table.features.slice(0, 14), values: new Float64Array(table.customerIds.length * 14) }
  for (let r = 0; r < table.customerIds.length; r++) for (let c = 0; c < 14; c++) fewer.values[r * 14 + c] = table.values[r * 15 + c]!
  const partial = driftReport(reference, fewer)
  t.same(partial.skipped, [{ feature: 'Spending_Trend', reason: 'not in the current data' }])
  t.equal(partial.numberOfFeatures, 14)
  t.throws(() => driftReport(reference, { ...table, customerIds: [], values: new Float64Array(0) }))
  const future = driftReport({ Total_Spend: { ...reference.Total_Spend!, version: 2 } }, table)
  t.same(future.skipped, [{ feature: 'Total_Spend', reason: 'unsupported sketch version 2' }])
  t.match(future, { numberOfFeatures: 0, driftShare: 0, datasetDrift: false })
})

t.test('drift report, small reference (437 customers: tests)', async (t) => {
  const table = loadSeed('test/fixtures/reference/seed_customer_features_445.csv')
  const full = loadSeed('test/fixtures/reference/seed_customer_features_4282.csv')
  const reference = sketchTable(table)
  const self = driftReport(reference, table)
  t.match(self, { referenceSize: 437, regime: 'tests', numberOfDrifted: 0, datasetDrift: false })
  const by = Object.fromEntries(self.features.map((f) => [f.feature, f]))
  t.equal(by.Total_Spend!.method, 'ks')
  t.equal(by.Is_UK!.method, 'z')
  for (const f of self.features) t.ok(f.pValue! > 0.99 && f.threshold === 0.05, `${f.feature} vs itself: p ${f.pValue}`)
  // These 437 customers are a subset of the 4,282: no drift either.
  t.equal(driftReport(reference, full).numberOfDrifted, 0)

  const x4 = driftReport(reference, scaled(table, ['Total_Spend'], 4))
  t.same(x4.driftedFeatures, ['Total_Spend'])
  const spend = x4.features.find((f) => f.feature === 'Total_Spend')!
  t.ok(spend.pValue! < 1e-20 && spend.statistic! > 0.3, `KS D ${spend.statistic}, p ${spend.pValue}`)
  t.equal(x4.datasetDrift, false)
  t.equal(driftReport(reference, scaled(full, MONETARY.concat(['Total_Transactions', 'Total_Products_Purchased', 'Unique_Products_Purchased', 'Spending_Trend']), 4)).datasetDrift, true)
})

t.test('drift report: chi-squared, Z and Jensen-Shannon features', async (t) => {
  // A synthetic table: 'tier' with 3 values, 'flag' binary, 'amount' continuous.
  const make = (n: number, tierShares: number[], flagShare: number): FeatureTable => {
    const values = new Float64Array(n * 3)
    for (let i = 0; i < n; i++) {
      const u = (i + 0.5) / n
      values[i * 3] = u < tierShares[0]! ? 0 : u < tierShares[0]! + tierShares[1]! ? 1 : 2
      values[i * 3 + 1] = ((i * 7) % n) / n < flagShare ? 1 : 0
      values[i * 3 + 2] = 100 * u
    }
    return { recipe: 'default', recipeVersion: 1, features: ['tier', 'flag', 'amount'], customerIds: Array.from({ length: n }, (_, i) => String(i)), values, referenceDate: 0 }
  }
  const smallRef = sketchTable(make(500, [0.5, 0.3], 0.2))
  const same = driftReport(smallRef, make(400, [0.5, 0.3], 0.2))
  t.same(same.features.map((f) => f.method), ['chisquare', 'z', 'ks'])
  t.equal(same.numberOfDrifted, 0)
  const moved = driftReport(smallRef, make(400, [0.3, 0.3], 0.4))
  t.same(moved.driftedFeatures, ['tier', 'flag'])
  t.ok(moved.features[0]!.pValue! < 1e-6 && moved.features[1]!.pValue! < 1e-6, 'tiny p-values')
  // Expected tier counts 200/120/80 vs observed 120/120/160: 6400/200 + 0 + 6400/80 = 112.
  near(t, moved.features[0]!.statistic!, 112, 1e-12, 'chi² by hand')
  // A tier the reference never had: chi² infinite (null in JSON), p = 0.
  const newTier = make(400, [0.5, 0.3], 0.2)
  newTier.values[0] = 3
  const unseen = driftReport(smallRef, newTier).features[0]!
  t.match(unseen, { method: 'chisquare', statistic: null, pValue: 0, drifted: true })

  const largeRef = sketchTable(make(5000, [0.5, 0.3], 0.2))
  const large = driftReport(largeRef, make(400, [0.3, 0.3], 0.4))
  t.same(large.features.map((f) => f.method), ['jensenshannon', 'jensenshannon', 'wasserstein'])
  t.same(large.driftedFeatures, ['tier', 'flag'])
  t.equal(large.datasetDrift, true, '2 of 3 ≥ 0.5')
})

t.test('~4,400 customers x 15 features in both regimes: only the scaled column drifts', async (t) => {
  // The 4,282 seed customers plus 118 of them again, a little perturbed: 4,400 x 15. (Speed is
  // measured by npm run bench -- drift, not here.)
  const seed = loadSeed('test/fixtures/reference/seed_customer_features_4282.csv')
  const rows = 4400
  const values = new Float64Array(rows * 15)
  values.set(seed.values)
  for (let i = seed.customerIds.length * 15, k = 0; i < values.length; i++, k++) values[i] = seed.values[k]! * 1.01
  const table: FeatureTable = { ...seed, customerIds: Array.from({ length: rows }, (_, i) => String(i)), values }
  const current = scaled(table, ['Total_Spend'], 4)
  const distances = driftReport(sketchTable(table), current)
  t.equal(distances.regime, 'distances')
  t.ok(distances.driftedFeatures.includes('Total_Spend'), 'Total_Spend drifts (distances)')
  const smallRef = sketchTable({ ...table, customerIds: table.customerIds.slice(0, 1000), values: table.values.subarray(0, 1000 * 15) })
  const tests = driftReport(smallRef, current)
  t.equal(tests.regime, 'tests')
  t.ok(tests.driftedFeatures.includes('Total_Spend'), 'Total_Spend drifts (tests)')
})
