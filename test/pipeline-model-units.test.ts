// Unit and property tests of the model layer's building blocks: transforms, PCA, k-means,
// metrics (hand-computed values on tiny fixtures), isolation forest, Hungarian matching, PRNG
// and bundle validation.
import t from 'tap'
import fc from 'fast-check'
import { PCA } from 'ml-pca'
import { applyTransforms, applyTransformsToRow, fitTransform, fitTransforms, signedLog1p, type TransformSpec } from '../src/pipeline/transforms.ts'
import { componentCount, fitPca, inversePca, projectPca, reconstructionError } from '../src/pipeline/pca.ts'
import { assignNearest, kmeans } from '../src/pipeline/kmeans.ts'
import { adjustedRandIndex, calinskiHarabasz, daviesBouldin, inertia, silhouetteSamples, silhouetteScore, silhouetteScores } from '../src/pipeline/metrics.ts'
import { averagePathLength, fitIsolationForest, isolationScores, quantile } from '../src/pipeline/isolation-forest.ts'
import { hungarian } from '../src/pipeline/match.ts'
import { deriveSeed, mulberry32, sampleWithoutReplacement } from '../src/pipeline/prng.ts'
import { bootstrapStability } from '../src/pipeline/stability.ts'
import { selectK } from '../src/pipeline/select-k.ts'
import { BundleFormatError, parseBundle } from '../src/pipeline/bundle.ts'
import { fromRows, takeRows } from '../src/pipeline/linalg.ts'
import type { Matrix } from '../src/pipeline/types.ts'

const close = (a: number, b: number, tol = 1e-9): boolean => Math.abs(a - b) <= tol * Math.max(1, Math.abs(a), Math.abs(b))

/** Seeded Gaussian blobs: `per` points around each centre, standard deviation `sd`. */
function blobs(centres: number[][], per: number, sd: number, seed: number): { x: Matrix; truth: Int32Array } {
  const rng = mulberry32(seed)
  const gauss = (): number => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng())
  const rows: number[][] = []
  const truth: number[] = []
  centres.forEach((c, ci) => {
    for (let i = 0; i < per; i++) {
      rows.push(c.map((v) => v + sd * gauss()))
      truth.push(ci)
    }
  })
  return { x: fromRows(rows), truth: Int32Array.from(truth) }
}

/** fast-check: a small matrix of finite values (`grid`: multiples of 0.1, so sums are well conditioned). */
const matrixArb = (minRows: number, maxRows: number, cols: number, grid = false): fc.Arbitrary<Matrix> =>
  fc
    .array(fc.array(grid ? fc.integer({ min: -1000, max: 1000 }).map((v) => v / 10) : fc.double({ min: -1e3, max: 1e3, noNaN: true, noDefaultInfinity: true }), { minLength: cols, maxLength: cols }), {
      minLength: minRows,
      maxLength: maxRows,
    })
    .map((rows) => fromRows(rows))

t.test('transforms', async (t) => {
  const x = fromRows([
    [1, 0, -5, 3, 4],
    [2, 0, 0, 0, 0],
    [3, 0, 5, 6, 8],
  ])
  const std = fitTransform({ kind: 'standardize', columns: [0, 1] }, x)
  t.same(std, { kind: 'standardize', columns: [0, 1], mean: [2, 0], scale: [Math.sqrt(2 / 3), 1] }, 'population std; a constant column keeps scale 1')
  t.same(JSON.parse(JSON.stringify(std)), std, 'params are plain JSON')
  const out = applyTransforms([std], x)
  t.ok(close(out.data[0]!, -1 / Math.sqrt(2 / 3)) && out.data[1] === 0 && out.data[2] === -5, 'only its columns change')
  const signed = applyTransforms([fitTransform({ kind: 'signedLog1p', columns: [2] }, x)], x)
  t.same([signed.data[2], signed.data[7], signed.data[12]], [-Math.log1p(5), 0, Math.log1p(5)])
  const norm = applyTransforms([fitTransform({ kind: 'l2normalize', columns: [3, 4] }, x)], x)
  t.same([norm.data[3], norm.data[4], norm.data[8], norm.data[9], norm.data[13], norm.data[14]], [0.6, 0.8, 0, 0, 0.6, 0.8], 'row-wise L2 over the group; zero rows stay zero')
  t.throws(() => fitTransform({ kind: 'log1p', columns: [2] }, x), /log1p needs values > -1/)
  t.throws(() => fitTransform({ kind: 'standardize', columns: [7] }, x), /outside/)

  t.test('properties', async () => {
    fc.assert(
      fc.property(matrixArb(2, 30, 3), (m) => {
        const specs: TransformSpec[] = [
          { kind: 'signedLog1p', columns: [0] },
          { kind: 'standardize', columns: [0, 1] },
          { kind: 'l2normalize', columns: [1, 2] },
        ]
        const { params, output } = fitTransforms(specs, m)
        // fit output = apply of the fitted params = row-by-row application, bit for bit
        const again = applyTransforms(params, m)
        for (let i = 0; i < m.rows; i++) {
          const r = m.data.slice(i * 3, i * 3 + 3)
          applyTransformsToRow(JSON.parse(JSON.stringify(params)) as typeof params, r)
          for (let j = 0; j < 3; j++) if (!Object.is(r[j], output.data[i * 3 + j]) || !Object.is(again.data[i * 3 + j], output.data[i * 3 + j])) return false
        }
        return true
      }),
    )
    fc.assert(
      fc.property(matrixArb(2, 40, 2), (m) => {
        const s = applyTransforms([fitTransform({ kind: 'standardize', columns: [0, 1] }, m)], m)
        for (let j = 0; j < 2; j++) {
          let mu = 0
          let v = 0
          let spread = 0
          for (let i = 0; i < m.rows; i++) mu += s.data[i * 2 + j]! / m.rows
          for (let i = 0; i < m.rows; i++) v += (s.data[i * 2 + j]! - mu) ** 2 / m.rows
          for (let i = 0; i < m.rows; i++) spread = Math.max(spread, Math.abs(m.data[i * 2 + j]! - m.data[j]!))
          if (Math.abs(mu) > 1e-6) return false
          if (spread > 1e-6 && Math.abs(v - 1) > 1e-6) return false // non-constant: unit variance
        }
        return true
      }),
      { numRuns: 200 },
    )
    fc.assert(
      fc.property(fc.double({ min: -1e12, max: 1e12, noNaN: true }), fc.double({ min: -1e12, max: 1e12, noNaN: true }), (a, b) => {
        if (signedLog1p(-a) !== -signedLog1p(a)) return false // odd
        return a <= b ? signedLog1p(a) <= signedLog1p(b) : signedLog1p(a) >= signedLog1p(b) // monotone
      }),
    )
    fc.assert(
      // (subnormal groups underflow to a zero norm, as in sklearn; keep magnitudes normal)
      fc.property(fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }).map((x) => (Math.abs(x) < 1e-100 ? 0 : x)), { minLength: 3, maxLength: 3 }), fc.double({ min: 1e-3, max: 1e3, noNaN: true }), (v, c) => {
        const p = { kind: 'l2normalize' as const, columns: [0, 1, 2] }
        const a = Float64Array.from(v)
        const b = Float64Array.from(v, (x) => c * x)
        applyTransformsToRow([p], a)
        applyTransformsToRow([p], b)
        const norm = Math.hypot(...a)
        const zero = v.every((x) => x === 0)
        return (zero ? norm === 0 : Math.abs(norm - 1) < 1e-12) && a.every((x, i) => Math.abs(x - b[i]!) < 1e-9) // unit norm, scale invariant
      }),
    )
  })
})

t.test('PCA', async (t) => {
  const { x } = blobs([[0, 0, 0, 0], [5, 1, -2, 0.5], [1, 4, 3, -1]], 60, 1, 3)
  const ours = fitPca(x, { rule: 'all' })
  const ml = new PCA(Array.from({ length: x.rows }, (_, i) => Array.from(x.data.subarray(i * 4, i * 4 + 4))))
  const mlRatio = ml.getExplainedVariance()
  ours.explainedVarianceRatio.forEach((r, i) => t.ok(close(r, mlRatio[i]!, 1e-9), `ratio ${i} = ml-pca's`))
  ours.explainedVariance.forEach((v, i) => t.ok(close(v, ml.getEigenvalues()[i]!, 1e-9), `variance ${i} = ml-pca's`))
  const a = projectPca(ours, x)
  const b = ml.predict(Array.from({ length: x.rows }, (_, i) => Array.from(x.data.subarray(i * 4, i * 4 + 4))))
  let worst = 0
  for (let c = 0; c < 4; c++) {
    const sign = Math.sign(a.data[c]!) === Math.sign(b.get(0, c)) ? 1 : -1
    for (let i = 0; i < x.rows; i++) worst = Math.max(worst, Math.abs(a.data[i * 4 + c]! - sign * b.get(i, c)))
  }
  t.ok(worst < 1e-8, `projections = ml-pca's up to sign (max diff ${worst.toExponential(1)})`)
  for (let c = 0; c < 4; c++) {
    for (let e = 0; e < 4; e++) {
      const dot = ours.components[c]!.reduce((s, v, j) => s + v * ours.components[e]![j]!, 0)
      t.ok(Math.abs(dot - (c === e ? 1 : 0)) < 1e-10, `components ${c},${e} orthonormal`)
    }
  }
  t.ok(reconstructionError(ours, x).mean < 1e-20, 'all components reconstruct exactly')
  const two = fitPca(x, { rule: 'fixed', n: 2 })
  const err = reconstructionError(two, x).mean
  const dropped = (two.explainedVariance[2]! + two.explainedVariance[3]!) * ((x.rows - 1) / x.rows)
  t.ok(close(err, dropped, 1e-8), 'reconstruction error = variance of the dropped components')
  t.same(inversePca(two, projectPca(two, x)).cols, 4)
  t.equal(componentCount({ rule: 'cumulative-plus-one', threshold: 0.8 }, [0.3, 0.2, 0.19, 0.097, 0.06, 0.047, 0.106]), 6, "the original's rule: first count over 0.8 is 5, keep 6")
  t.equal(componentCount({ rule: 'cumulative-plus-one', threshold: 0.8 }, [0.9, 0.1]), 2)
  t.equal(componentCount({ rule: 'cumulative-plus-one', threshold: 0.8 }, [0.5, 0.5]), 2, 'capped at p')
})

t.test('k-means', async (t) => {
  const { x, truth } = blobs([[0, 0], [10, 0], [0, 10]], 50, 1, 1)
  const fit = kmeans(x, { k: 3, seed: 1 })
  t.equal(adjustedRandIndex(fit.labels, truth), 1, 'well-separated blobs are recovered')
  t.same(assignNearest(x, fit.centroids, 3).labels, fit.labels, 'labels are the nearest centroids')
  t.ok(close(fit.inertia, inertia(x, fit.labels, fit.centroids)), 'inertia')
  const again = kmeans(x, { k: 3, seed: 1 })
  t.same(again.centroids, fit.centroids, 'deterministic for a seed')
  const many = kmeans(x, { k: 6, nInit: 10, seed: 2 })
  // the first of the 10 starts is the single start with the same seed
  t.ok(many.inertia <= kmeans(x, { k: 6, nInit: 1, seed: 2 }).inertia, 'n_init keeps the lowest inertia')
  // weights = repeated rows
  const idx = [0, 0, 0, 5, 5, 7, 60, 61, 61, 120, 121, 121, 121, 140]
  const rep = takeRows(x, idx)
  const distinct = [...new Set(idx)]
  const w = Float64Array.from(distinct, (i) => idx.filter((j) => j === i).length)
  const start = Float64Array.from([...x.data.subarray(0, 2), ...x.data.subarray(120, 122), ...x.data.subarray(240, 242)])
  const a = kmeans(rep, { k: 3, init: start })
  const b = kmeans(takeRows(x, distinct), { k: 3, init: start, weights: w })
  t.ok(close(a.inertia, b.inertia, 1e-12), 'weighted distinct rows = repeated rows (inertia)')
  a.centroids.forEach((v, i) => t.ok(close(v, b.centroids[i]!, 1e-12), `centroid value ${i}`))
  // an empty cluster is relocated, never NaN
  const dup = fromRows([[0, 0], [0, 0], [0, 0], [1, 1], [5, 5]])
  const e = kmeans(dup, { k: 3, init: Float64Array.from([0, 0, 0, 0, 100, 100]) })
  t.ok(e.centroids.every(Number.isFinite), 'empty clusters relocated')
  t.throws(() => kmeans(dup, { k: 6 }), /cannot make 6 clusters/)
})

t.test('metrics: hand-computed values', async (t) => {
  // 1-D points 0, 1, 10, 11 in two clusters
  const x = fromRows([[0], [1], [10], [11]])
  const l = Int32Array.from([0, 0, 1, 1])
  // a = 1 for all; b = 10.5 (for 0 and 11), 9.5 (for 1 and 10): s = 19/21, 17/19
  t.ok(close(silhouetteScore(x, l), 359 / 399, 1e-15), 'silhouette = (19/21 + 17/19) / 2')
  t.same(Array.from(silhouetteSamples(x, l)).map((v) => v.toFixed(12)), [19 / 21, 17 / 19, 17 / 19, 19 / 21].map((v) => v.toFixed(12)))
  t.equal(calinskiHarabasz(x, l), 200, 'CH = (100 / 1) / (1 / 2)')
  t.ok(close(daviesBouldin(x, l), 0.1, 1e-15), 'DB = (0.5 + 0.5) / 10')
  t.equal(inertia(x, l, Float64Array.from([0.5, 10.5])), 1)
  // a singleton cluster has silhouette 0 (sklearn)
  const y = fromRows([[0], [1], [2], [10]])
  const s = silhouetteSamples(y, Int32Array.from([0, 0, 0, 1]))
  t.equal(s[3], 0, 'singleton → 0')
  // point 0: a = (1 + 2) / 2 = 1.5, b = 10 → 8.5 / 10
  t.ok(close(s[0]!, 0.85, 1e-15))
  // 3 clusters in 2-D, by hand: DB with the worst ratio per cluster
  const z = fromRows([[0, 0], [2, 0], [10, 0], [12, 0], [0, 20], [0, 22]])
  const zl = Int32Array.from([0, 0, 1, 1, 2, 2])
  // centroids (1,0) (11,0) (0,21); s_i = 1 each; d01 = 10, d02 = √442, d12 = √562
  const want = (2 / 10 + 2 / 10 + 2 / Math.sqrt(442)) / 3
  t.ok(close(daviesBouldin(z, zl), want, 1e-14), 'DB, 3 clusters')
  // CH: grand mean (4, 7); B = 2(9+49) + 2(49+49) + 2(16+196) = 736; W = 6; CH = (736/2) / (6/3)
  t.ok(close(calinskiHarabasz(z, zl), 184, 1e-12), 'CH, 3 clusters')
  t.ok(close(silhouetteScore(z, Int32Array.from([7, 7, 3, 3, 9, 9])), silhouetteScore(z, zl), 1e-15), 'labels need not be contiguous')

  t.ok(close(adjustedRandIndex([0, 0, 1, 2], [0, 0, 1, 1]), 4 / 7, 1e-15), 'ARI = 4/7 (sklearn docs example: 0.57)')
  t.equal(adjustedRandIndex([0, 0, 1, 1], [1, 1, 0, 0]), 1)
  t.ok(close(adjustedRandIndex([0, 0, 1, 1], [0, 1, 0, 1]), -0.5, 1e-15), 'ARI = -0.5 for crossed pairs')
  t.equal(adjustedRandIndex([0, 1, 2], [5, 6, 7]), 1, 'all singletons')
  t.equal(adjustedRandIndex([0, 0, 0], [0, 1, 2]), 0)
  t.throws(() => silhouetteScore(x, [0, 0, 0, 0]), /2 ≤ number of labels/)

  t.test('sampled silhouette above the exact limit is deterministic and close', async (t) => {
    const { x: big, truth } = blobs([[0, 0], [3, 0], [0, 3]], 200, 1, 5)
    const exact = silhouetteScore(big, truth)
    const s1 = silhouetteScore(big, truth, { maxExact: 300, sampleSize: 300, seed: 1 })
    t.equal(silhouetteScore(big, truth, { maxExact: 300, sampleSize: 300, seed: 1 }), s1, 'same seed, same value')
    t.ok(Math.abs(s1 - exact) < 0.05, `sampled ${s1.toFixed(4)} ≈ exact ${exact.toFixed(4)}`)
    const multi = silhouetteScores(big, [truth, Int32Array.from(truth, (v) => (v === 2 ? 1 : v))])
    t.equal(multi[0], exact, 'the shared pass equals the single one')
  })

  t.test('properties', async () => {
    const labelled = fc.integer({ min: 4, max: 40 }).chain((n) =>
      fc.tuple(matrixArb(n, n, 2, true), fc.array(fc.integer({ min: 0, max: 3 }), { minLength: n, maxLength: n }), fc.array(fc.integer({ min: 0, max: 3 }), { minLength: n, maxLength: n })),
    )
    fc.assert(
      fc.property(labelled, ([m, a, b]) => {
        const ari = adjustedRandIndex(a, b)
        if (!close(ari, adjustedRandIndex(b, a), 1e-12)) return false // symmetric
        if (adjustedRandIndex(a, a.map((v) => 7 - v)) !== 1) return false // invariant to relabelling
        if (ari > 1 + 1e-12) return false
        const k = new Set(a).size
        if (k < 2 || k > m.rows - 1) return true
        const sil = silhouetteScore(m, a)
        if (!(sil >= -1 && sil <= 1)) return false
        const perm = a.map((v) => [2, 0, 3, 1][v]!)
        if (!close(sil, silhouetteScore(m, perm), 1e-12)) return false
        if (!close(calinskiHarabasz(m, a), calinskiHarabasz(m, perm), 1e-9)) return false
        if (!close(daviesBouldin(m, a), daviesBouldin(m, perm), 1e-9)) return false
        // translation invariance
        const shifted = { ...m, data: m.data.map((v, i) => v + (i % 2 ? 100 : -50)) }
        return close(sil, silhouetteScore(shifted, a), 1e-6) && close(daviesBouldin(m, a), daviesBouldin(shifted, a), 1e-6)
      }),
      { numRuns: 150 },
    )
  })
})

t.test('stability and k selection', async (t) => {
  const { x, truth } = blobs([[0, 0], [6, 0], [0, 6], [6, 6]], 60, 1, 9)
  const fit = kmeans(x, { k: 4, seed: 0 })
  t.equal(adjustedRandIndex(fit.labels, truth), 1)
  const st = bootstrapStability(x, 4, fit.labels, { bootstraps: 5, seed: 1, nInit: 3 })
  t.ok(st.mean > 0.95 && st.values.length === 5, `4 clear blobs: stability ${st.mean.toFixed(3)}`)
  t.same(bootstrapStability(x, 4, fit.labels, { bootstraps: 5, seed: 1, nInit: 3 }), st, 'deterministic')
  const sel = selectK(x, { kRange: [3, 6], extraK: [2], seed: 0, bootstraps: 4, nInit: 3 })
  t.equal(sel.k, 4, `picks k = 4 (${sel.reason})`)
  t.same(sel.entries.map((e) => e.k), [2, 3, 4, 5, 6])
  t.notOk(sel.entries[0]!.inRange)
  const tiny = selectK(x, { kRange: [3, 6], seed: 0, bootstraps: 0, minShare: 0.3 })
  t.match(tiny.reason, /no k met the constraints/, 'falls back when nothing is eligible')
})

t.test('isolation forest', async (t) => {
  t.ok(close(averagePathLength(256), 10.244770920116851, 1e-12), 'c(256)')
  t.equal(averagePathLength(2), 1)
  t.equal(averagePathLength(1), 0)
  t.equal(quantile([1, 2, 3, 4], 0.5), 2.5, 'numpy linear percentile')
  const { x } = blobs([[0, 0, 0]], 300, 1, 4)
  const withOutlier = fromRows([...Array.from({ length: x.rows }, (_, i) => Array.from(x.data.subarray(i * 3, i * 3 + 3))), [15, -15, 15]])
  const f = fitIsolationForest(withOutlier, { contamination: 0.05, seed: 3 })
  const top = f.scores.indexOf(Math.max(...f.scores))
  t.equal(top, 300, 'the planted outlier scores highest')
  t.equal(f.outliers[300], 1)
  // sklearn: outlier iff score_samples < percentile(score_samples, 5); position 0.05·300 = 15 exactly → 15 rows
  t.equal(f.outliers.reduce((a, v) => a + v, 0), 15, 'contamination 5% of 301 → 15 (strictly beyond the 5th percentile)')
  t.equal(f.model.maxSamples, 256)
  t.same(isolationScores(f.model, withOutlier), f.scores, 'scoring the training rows again is identical')
  t.same(fitIsolationForest(withOutlier, { contamination: 0.05, seed: 3 }).scores, f.scores, 'deterministic')
  t.ok(f.scores.every((s) => s > 0 && s <= 1))
})

t.test('Hungarian matching', async (t) => {
  t.same(hungarian([[4, 1, 3], [2, 0, 5], [3, 2, 2]]), [1, 0, 2], 'square: total 5')
  t.same(hungarian([[1, 2, 3], [2, 4, 6]]), [1, 0], 'more columns than rows: total 4')
  t.same(hungarian([[1, 9], [9, 1], [5, 5]]), [0, 1, -1], 'more rows than columns leaves one unmatched')
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 5 }).chain((n) => fc.array(fc.array(fc.integer({ min: 0, max: 20 }), { minLength: n, maxLength: n }), { minLength: n, maxLength: n })), (cost) => {
      const a = hungarian(cost)
      const total = a.reduce((s, c, r) => s + cost[r]![c]!, 0)
      // brute force over permutations
      const n = cost.length
      let best = Infinity
      const perm = (rest: number[], acc: number, r: number): void => {
        if (r === n) best = Math.min(best, acc)
        rest.forEach((c, i) => perm([...rest.slice(0, i), ...rest.slice(i + 1)], acc + cost[r]![c]!, r + 1))
      }
      perm([...Array(n).keys()], 0, 0)
      return new Set(a).size === n && total === best
    }),
  )
})

t.test('PRNG and bundle validation', async (t) => {
  const a = mulberry32(42)
  const b = mulberry32(42)
  const xs = Array.from({ length: 1000 }, () => a())
  t.same(xs, Array.from({ length: 1000 }, () => b()), 'seeded')
  t.ok(xs.every((v) => v >= 0 && v < 1))
  t.not(deriveSeed(1, 'x', 2), deriveSeed(1, 'x', 3))
  t.equal(deriveSeed(1, 'x', 2), deriveSeed(1, 'x', 2))
  const s = sampleWithoutReplacement(mulberry32(1), 50, 20)
  t.equal(new Set(s).size, 20)
  t.throws(() => parseBundle('{"formatVersion": 99}'), BundleFormatError)
  t.throws(() => parseBundle('not json'), /not JSON/)
})
