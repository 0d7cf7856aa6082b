// Unit and property tests of the training steps (src/pipeline/train-*.ts), each on its own: the
// whole chain is tested in pipeline-model.test.ts and pipeline-train-identical.test.ts.
import t from 'tap'
import fc from 'fast-check'
import { fromRows } from '../src/pipeline/linalg.ts'
import { DEFAULT_SPEC } from '../src/pipeline/model-spec.ts'
import type { KMeansResult } from '../src/pipeline/kmeans.ts'
import type { FeatureTable } from '../src/pipeline/types.ts'
import { fitOutliers, fitRows, flagOutliers, transformRows, type OutlierFit } from '../src/pipeline/train-outliers.ts'
import { embedTable, embeddingBundle, fitEmbedding, fitModelTransforms } from '../src/pipeline/train-embed.ts'
import { cluster, fitK, selectKOptions } from '../src/pipeline/train-k.ts'
import { clustersByValue, matchToPrevious, orderCentroids, segmentIds } from '../src/pipeline/train-ids.ts'
import { assignRows } from '../src/pipeline/train-assign.ts'
import { logRfmSilhouette, sameMatrix } from '../src/pipeline/train-evaluate.ts'
import { stopwatch } from '../src/pipeline/train-report.ts'
import { columns, indicesWhere } from '../src/pipeline/train-types.ts'
import { train } from '../src/pipeline/train.ts'
import { modelParams } from '../src/training/params.ts'

/** A default-recipe table whose rows are given as [recency, frequency, monetary] (other columns 0). */
function defaultTable(rfm: number[][], features: readonly string[]): FeatureTable {
  const p = features.length
  const values = new Float64Array(rfm.length * p)
  rfm.forEach((r, i) => {
    values[i * p + features.indexOf('recency_days')] = r[0]!
    values[i * p + features.indexOf('frequency')] = r[1]!
    values[i * p + features.indexOf('monetary')] = r[2]!
  })
  return { recipe: 'default', recipeVersion: 1, features, customerIds: rfm.map((_, i) => `c${i}`), values, referenceDate: 0 }
}
const FEATURES = ['recency_days', 'frequency', 'monetary', 'other']

t.test('outliers: z-score flags, counts and the rows each fit uses', async (t) => {
  const x = fromRows([[0], [1], [2], [3], [100]])
  const none = fitOutliers(x, DEFAULT_SPEC.outliers, 0)
  t.same(Array.from(none.flags), [0, 0, 0, 0, 0], 'nothing is flagged before the transforms')
  t.same(Array.from(transformRows(none)), [0, 1, 2, 3, 4], 'the transforms see every row')
  const z = fitOutliers(x, { method: 'zscore', threshold: 1.5, action: 'flag' }, 0)
  const flagged = flagOutliers(z, { method: 'zscore', threshold: 1.5, action: 'flag' }, [{ kind: 'standardize', columns: [0], mean: [21.2], scale: [39.4] }], x, [0])
  t.same(Array.from(flagged.flags), [0, 0, 0, 0, 1])
  t.same(flagged.rule, { method: 'zscore', threshold: 1.5, action: 'flag', flagged: 1 })
  t.same(Array.from(fitRows(flagged, true).fit), [0, 1, 2, 3], 'fitted without the flagged row')
  t.same(Array.from(fitRows(flagged, true).metric), [0, 1, 2, 3, 4], 'metrics on every row')
  t.same(Array.from(fitRows(flagged, false).fit), [0, 1, 2, 3, 4])

  fc.assert(
    fc.property(fc.array(fc.boolean(), { minLength: 1, maxLength: 40 }), fc.boolean(), fc.boolean(), (bits, dropped, without) => {
      const o: OutlierFit = { flags: Uint8Array.from(bits, Number), rule: { method: 'none', flagged: 0 }, dropped }
      const counted = flagOutliers(o, { method: 'none' }, [], fromRows(bits.map(() => [0])), [0])
      const k = bits.filter(Boolean).length
      if (counted.rule.flagged !== k) return false
      const rows = fitRows(counted, without)
      const expectFit = dropped || (without && k > 0) ? bits.flatMap((b, i) => (b ? [] : [i])) : bits.map((_, i) => i)
      return rows.excluded === (dropped || (without && k > 0)) && rows.fit.join() === expectFit.join() && rows.metric.length === (dropped ? expectFit.length : bits.length)
    }),
  )
})

t.test('segment ids: a permutation of 0..k-1 that keeps valid matched ids', async (t) => {
  t.same(segmentIds([2, 0, 1], null), [1, 2, 0], 'without a match, the rank by value')
  t.same(segmentIds([2, 0, 1], [0, 1, 2]), [0, 1, 2], 'matched ids kept')
  t.same(segmentIds([0, 1, 2], [5, null, 5]), [0, 1, 2], 'ids beyond k and duplicates give way to free ids in value order')
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 8 }).chain((k) => fc.tuple(fc.shuffledSubarray([...Array(k).keys()], { minLength: k, maxLength: k }), fc.option(fc.array(fc.option(fc.integer({ min: 0, max: 10 })), { minLength: k, maxLength: k })))),
      ([byValue, previous]) => {
        const ids = segmentIds(byValue, previous)
        const k = byValue.length
        if ([...ids].sort((a, b) => a - b).join() !== [...Array(k).keys()].join()) return false
        // The highest-valued cluster with a valid previous id keeps it.
        const first = previous ? byValue.find((c) => previous[c] !== null && previous[c]! < k) : undefined
        return first === undefined || ids[first] === previous![first]
      },
    ),
  )
})

t.test('order, then assign: slots follow ids, each row goes to its nearest centroid', async (t) => {
  const m = fromRows([[0, 0], [0.1, 0], [10, 0], [10.2, 0], [5, 5]])
  const fit = { k: 3, centroids: Float64Array.from([10.1, 0, 0.05, 0, 5, 5]), labels: Int32Array.from([1, 1, 0, 0, 2]) } as KMeansResult
  const value = [1, 3, 10, 20, 100]
  const byValue = clustersByValue(m, fit, value)
  t.same(byValue, [2, 0, 1], 'means 100, 15 and 2')
  const idOf = segmentIds(byValue, null)
  const ordered = orderCentroids(fit, idOf, 2)
  t.same(ordered.clusterOfSlot, [2, 0, 1])
  t.same(Array.from(ordered.centroids), [5, 5, 10.1, 0, 0.05, 0])
  const a = assignRows(m, ordered, idOf, value, Int32Array.from([0, 1, 2, 3]))
  t.same(Array.from(a.assignments), [2, 2, 1, 1, 0])
  t.same(a.sizes, [1, 2, 2])
  t.same(a.fittedSizes, [0, 2, 2])
  t.same(a.segments.map((s) => [s.id, s.size, s.orderValue]), [[0, 1, 100], [1, 2, 15], [2, 2, 2]])
  t.equal(a.distances.data[0 * 3 + 2], Math.sqrt(0.05 ** 2), 'distance of row 0 to slot 2')
})

t.test('transforms, embedding, k and matching on a small default table', async (t) => {
  const rows: number[][] = []
  for (let i = 0; i < 60; i++) rows.push(i % 3 === 0 ? [5 + (i % 7), 30 + (i % 5), 5000 + i] : i % 3 === 1 ? [200 + i, 1 + (i % 2), 50 + i] : [60 + (i % 9), 5 + (i % 3), 500 + i])
  const table = defaultTable(rows, FEATURES)
  const spec = { ...DEFAULT_SPEC, inputs: ['recency_days', 'frequency', 'monetary'], kmeans: { ...DEFAULT_SPEC.kmeans, bootstraps: 0 } }
  const x = columns(table, spec.inputs)
  const tr = fitModelTransforms(spec, x, indicesWhere(60, () => true))
  t.equal(tr.output.rows, 60)
  t.equal(fitEmbedding(spec, tr), null, 'the default recipe has no PCA')
  const proto = embeddingBundle(spec, table, tr, null, { method: 'none', flagged: 0 }, 0)
  const m = embedTable(proto, table)
  t.ok(sameMatrix(m, { rows: 60, cols: 3, data: tr.output.data }), 'embedding every row = the fitted transforms (no PCA, all rows)')
  const opts = selectKOptions(spec.kmeans, [2, 4], 1)
  t.throws(() => fitK(m, 1, opts), /k must be an integer/)
  const c = cluster(m, 3, opts)
  t.equal(c.kSelection, 'fixed k = 3')
  t.same(c.kScan, [c.chosen])
  const auto = cluster(m, 'auto', opts)
  t.ok(auto.fit.k >= 2 && auto.fit.k <= 4 && auto.kScan.some((e) => e.k === auto.fit.k))

  const model = train({ table }, { recipe: 'default', seed: 1, k: 3, spec })
  const all = indicesWhere(60, () => true)
  const ids = matchToPrevious(model.bundle, table, all, model.assignments, 3)
  t.same(ids, [0, 1, 2], "a model's own assignments match its own segments")
  t.equal(matchToPrevious({ ...model.bundle, recipe: 'original' }, table, all, model.assignments, 3), null, 'another recipe cannot be matched')
  const logRfm = logRfmSilhouette(table, table, model.assignments, m, true, 0.5, 0)
  t.ok(logRfm !== null && logRfm > 0.3, 'well separated in log-RFM space')
  t.equal(logRfmSilhouette(table, table, new Int32Array(60), m, true, 0.5, 0), null, 'one segment: no silhouette')
})

t.test('stopwatch names every lap', async (t) => {
  const clock = stopwatch()
  clock.lap('a')
  clock.lap('b')
  clock.total('total')
  t.same(Object.keys(clock.timingsMs), ['a', 'b', 'total'])
  t.ok(Object.values(clock.timingsMs).every((v) => Number.isFinite(v) && v >= 0))
})

t.test('training params: every default resolved, given values kept', async (t) => {
  t.same(modelParams({}), { recipe: 'default', k: 'auto', kRange: [3, 8], seed: 42 })
  t.equal(modelParams({ recipe: 'seed' }).recipe, 'original', 'the alias resolves to the id')
  t.throws(() => modelParams({ recipe: 'rfm' }), { name: 'UnknownRecipe' })
  t.throws(() => modelParams({ kRange: [5, 3] }), { name: 'InvalidParams', message: 'kRange must be [min, max] with min ≤ max' })
  fc.assert(
    fc.property(fc.record({ recipe: fc.constantFrom('default', 'original', 'seed'), k: fc.oneof(fc.integer({ min: 2, max: 20 }), fc.constant('auto' as const)), kRange: fc.tuple(fc.integer({ min: 2, max: 10 }), fc.integer({ min: 10, max: 20 })), seed: fc.nat() }, { requiredKeys: [] }), (body) => {
      const p = modelParams(body)
      const id = { default: 'default', original: 'original', seed: 'original' }[body.recipe ?? 'default']
      return p.recipe === id && p.k === (body.k ?? 'auto') && p.seed === (body.seed ?? 42) && p.kRange.join() === (body.kRange ?? [3, 8]).join()
    }),
  )
})
