// The model layer's acceptance criteria on the original's own data:
// - k-means on the original's PCA matrix reproduces its clusters (718 / 1,647 / 1,702);
// - the whole seed chain (isolation forest → scaler + normalizer → PCA → k-means) on the
//   original's 4,282-customer feature table reproduces its outliers, PCA and silhouette;
// - our scaler + PCA reproduce the original's intermediate matrices;
// - the default model on log-RFM features meets its silhouette / stability / share targets;
// - bundles are deterministic, survive JSON exactly, and score training customers to their
//   training segment; a retrain keeps segment ids.
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import t from 'tap'
import { kmeans } from '../src/pipeline/kmeans.ts'
import { adjustedRandIndex, silhouetteScore } from '../src/pipeline/metrics.ts'
import { fitTransforms, type TransformSpec } from '../src/pipeline/transforms.ts'
import { fitPca, projectPca } from '../src/pipeline/pca.ts'
import { ORIGINAL_FEATURES, ORIGINAL_NORMALIZED, ORIGINAL_RAW, ORIGINAL_SCALED } from '../src/pipeline/model-spec.ts'
import { trainModel, type TrainResult } from '../src/pipeline/train.ts'
import { annotationsFrom, parseBundle, scoreFeatures, scoreTable, serializeBundle, type ModelBundle } from '../src/pipeline/bundle.ts'
import { takeRows } from '../src/pipeline/linalg.ts'
import type { FeatureTable, Matrix } from '../src/pipeline/types.ts'
import { REFERENCE } from './helpers/data.ts'

const ROOT = resolve(import.meta.dirname, '..')
const FEATURES_4282 = resolve(ROOT, 'test/fixtures/reference/seed_customer_features_4282.csv')
const PCA_4067 = resolve(ROOT, 'test/fixtures/reference/seed_pca_output_4067.csv')
const SCALER_4067 = REFERENCE.scaler4067

// ---------------------------------------------------------------------------------------------
// Fixtures (plain numeric CSVs without quoting)

interface Csv {
  header: string[]
  ids: string[]
  col: (name: string) => Float64Array
}

function readCsv(path: string): Csv {
  const lines = readFileSync(path, 'utf8').trim().split(/\r?\n/)
  const header = lines[0]!.split(',')
  const rows = lines.slice(1).map((l) => l.split(','))
  return {
    header,
    ids: rows.map((r) => r[0]!),
    col: (name) => {
      const j = header.indexOf(name)
      if (j < 0) throw new Error(`${path} has no column ${name}`)
      return Float64Array.from(rows, (r) => Number(r[j]))
    },
  }
}

function matrixOf(csv: Csv, names: readonly string[]): Matrix {
  const cols = names.map((c) => csv.col(c))
  const n = csv.ids.length
  const data = new Float64Array(n * names.length)
  for (let i = 0; i < n; i++) for (let j = 0; j < names.length; j++) data[i * names.length + j] = cols[j]![i]!
  return { rows: n, cols: names.length, data }
}

const REFERENCE_DATE = Date.UTC(2011, 11, 9)
const ref = readCsv(FEATURES_4282)
const refOutlier = ref.col('Is_Outlier')

/** The original's 15 features; Cancellation_Rate is the intended rate unless `original`. */
function seedTable(original = false): FeatureTable {
  const names = ORIGINAL_FEATURES.map((f) => (f === 'Cancellation_Rate' && !original ? 'Cancellation_Rate_fixed' : f))
  return { recipe: 'original', recipeVersion: 1, features: [...ORIGINAL_FEATURES], customerIds: ref.ids, values: matrixOf(ref, names).data, referenceDate: REFERENCE_DATE }
}

/** A default-recipe table built from the reference columns (recency, frequency, monetary). */
function defaultTable(): FeatureTable {
  const m = matrixOf(ref, ['Days_Since_Last_Purchase', 'Total_Transactions', 'Total_Spend'])
  return { recipe: 'default', recipeVersion: 1, features: ['recency_days', 'frequency', 'monetary'], customerIds: ref.ids, values: m.data, referenceDate: REFERENCE_DATE }
}

const sorted = (xs: number[]): number[] => [...xs].sort((a, b) => a - b)

function row(table: FeatureTable, i: number): Float64Array {
  const p = table.features.length
  return table.values.slice(i * p, (i + 1) * p)
}

/** Rows whose scored segment, or any scored distance, differs from training. */
function scoringMismatches(bundle: ModelBundle, table: FeatureTable, res: TrainResult): { segments: number; distances: number } {
  let segments = 0
  let distances = 0
  const k = bundle.segments.length
  for (let i = 0; i < table.customerIds.length; i++) {
    const s = scoreFeatures(bundle, row(table, i))
    if (s.segment !== res.assignments[i]) segments++
    for (let c = 0; c < k; c++) if (s.distances[c] !== res.distances.data[i * k + c]) distances++
  }
  return { segments, distances }
}

// ---------------------------------------------------------------------------------------------

t.test('k-means on the original PCA matrix reproduces its clusters', async (t) => {
  const pca = readCsv(PCA_4067)
  const X = matrixOf(pca, ['PC1', 'PC2', 'PC3', 'PC4', 'PC5', 'PC6'])
  const fit = kmeans(X, { k: 3, nInit: 10, maxIter: 100, seed: 0 })
  const sizes = sorted([0, 1, 2].map((c) => fit.labels.filter((l) => l === c).length))
  const want = [718, 1647, 1702]
  sizes.forEach((s, i) => t.ok(Math.abs(s - want[i]!) <= 0.01 * want[i]!, `size ${s} within 1% of ${want[i]}`))
  const sil = silhouetteScore(X, fit.labels)
  t.ok(sil >= 0.2255, `silhouette ${sil.toFixed(4)} ≥ 0.2255`)
  const ari = adjustedRandIndex(fit.labels, pca.col('cluster'))
  t.ok(ari > 0.99, `ARI with the original's labels ${ari.toFixed(4)}`)
  t.comment(`sizes ${sizes.join(' / ')}, silhouette ${sil.toFixed(4)}, inertia ${fit.inertia.toFixed(1)}, ARI vs original ${ari.toFixed(4)}`)
})

t.test("scaler, normalizer and PCA reproduce the original's matrices on its 4,067 inliers", async (t) => {
  const inliers = Int32Array.from(ref.ids.keys()).filter((i) => refOutlier[i] === 0)
  t.equal(inliers.length, 4067)
  const cols = [...ORIGINAL_FEATURES]
  const specs: TransformSpec[] = [
    { kind: 'standardize', columns: ORIGINAL_SCALED.map((c) => cols.indexOf(c as (typeof cols)[number])) },
    { kind: 'l2normalize', columns: ORIGINAL_NORMALIZED.map((c) => cols.indexOf(c as (typeof cols)[number])) },
    { kind: 'passthrough', columns: ORIGINAL_RAW.map((c) => cols.indexOf(c as (typeof cols)[number])) },
  ]
  // the original scaled its (misaligned) Cancellation_Rate: use it to compare matrices
  const original = takeRows({ rows: ref.ids.length, cols: 15, data: seedTable(true).values }, inliers)
  const scaled = fitTransforms(specs, original).output

  t.test('scaled matrix = seed_scaler_output_4067.csv', async (t) => {
    const want = matrixOf(readCsv(SCALER_4067), cols)
    let worst = 0
    for (let q = 0; q < want.data.length; q++) worst = Math.max(worst, Math.abs(want.data[q]! - scaled.data[q]!))
    t.ok(worst < 1e-7, `max |difference| ${worst.toExponential(2)} over all 15 columns`)
  })

  t.test('PCA: 6 components, projection = seed_pca_output_4067.csv (signs included)', async (t) => {
    const model = fitPca(scaled, { rule: 'cumulative-plus-one', threshold: 0.8 })
    t.equal(model.nComponents, 6)
    const cum = model.explainedVarianceRatio.slice(0, 6).reduce((a, v) => a + v, 0)
    t.ok(cum > 0.89 && cum < 0.9, `cumulative explained variance ${cum.toFixed(4)}`)
    const proj = projectPca(model, scaled)
    const want = matrixOf(readCsv(PCA_4067), ['PC1', 'PC2', 'PC3', 'PC4', 'PC5', 'PC6'])
    let worst = 0
    for (let q = 0; q < want.data.length; q++) worst = Math.max(worst, Math.abs(want.data[q]! - proj.data[q]!))
    t.ok(worst < 1e-6, `max |difference| ${worst.toExponential(2)}`)
  })

  t.test('with the intended Cancellation_Rate only that column differs', async (t) => {
    const fixed = fitTransforms(specs, takeRows({ rows: ref.ids.length, cols: 15, data: seedTable().values }, inliers)).output
    const cr = cols.indexOf('Cancellation_Rate')
    let worst = 0
    let crDiffers = false
    for (let i = 0; i < fixed.rows; i++) {
      for (let j = 0; j < 15; j++) {
        const d = Math.abs(fixed.data[i * 15 + j]! - scaled.data[i * 15 + j]!)
        if (j === cr) crDiffers ||= d > 1e-6
        else worst = Math.max(worst, d)
      }
    }
    t.equal(worst, 0, 'the other 14 columns are identical')
    t.ok(crDiffers, 'Cancellation_Rate differs')
  })
})

t.test('seed recipe: the whole chain on the 4,282-customer reference table', async (t) => {
  const table = seedTable()
  const res = trainModel({ table }, { recipe: 'original', seed: 0 })
  const { report, bundle } = res

  let inter = 0
  let union = 0
  for (let i = 0; i < table.customerIds.length; i++) {
    const a = res.outliers[i] === 1
    const b = refOutlier[i] === 1
    if (a && b) inter++
    if (a || b) union++
  }
  const jaccard = inter / union
  t.equal(report.outliers.flagged, 215, '5% of 4,282 flagged, like the original')
  t.ok(jaccard >= 0.6, `isolation-forest outliers vs Is_Outlier: Jaccard ${jaccard.toFixed(3)} ≥ 0.6`)
  t.equal(report.pcaComponents, 6, 'PCA keeps 6 components')
  t.equal(report.metricRows, 'inliers')
  t.equal(bundle.training.fittedCustomers, 4067)
  const m = report.metrics
  t.ok(Math.abs(m.silhouette - 0.2257) <= 0.01, `silhouette ${m.silhouette.toFixed(4)} = 0.2257 ± 0.01`)
  t.ok(Number.isFinite(m.calinskiHarabasz) && m.calinskiHarabasz > 0, `Calinski-Harabasz ${m.calinskiHarabasz.toFixed(1)} (original 1066.3)`)
  t.ok(Number.isFinite(m.daviesBouldin) && m.daviesBouldin > 0, `Davies-Bouldin ${m.daviesBouldin.toFixed(3)} (original 1.549)`)
  t.ok(Math.abs(m.calinskiHarabasz - 1066.3) / 1066.3 < 0.1 && Math.abs(m.daviesBouldin - 1.549) / 1.549 < 0.1, 'CH and DB within 10% of the original')
  t.same(sorted(report.fittedSizes).length, 3)
  const orderValues = bundle.segments.map((s) => s.orderValue)
  t.same(orderValues, [...orderValues].sort((a, b) => b - a), 'segment 0 has the highest mean Total_Spend')
  t.comment(
    `seed: Jaccard ${jaccard.toFixed(3)}, fitted sizes ${report.fittedSizes.join(' / ')}, silhouette ${m.silhouette.toFixed(4)}, CH ${m.calinskiHarabasz.toFixed(1)}, DB ${m.daviesBouldin.toFixed(3)}, stability ${m.stability.toFixed(3)}, log-RFM silhouette ${m.logRfmSilhouette?.toFixed(4)}, ${JSON.stringify(report.timingsMs)}`,
  )

  t.same(scoringMismatches(bundle, table, res), { segments: 0, distances: 0 }, 'all 4,282 customers (outliers too) score to their training segment, distances bit for bit')
  const parsed = parseBundle(serializeBundle(bundle))
  t.same(parsed, bundle, 'JSON round trip restores the bundle')
  t.equal(serializeBundle(parsed), serializeBundle(bundle), 'and serialises to the same text')
  t.same(scoringMismatches(parsed, table, res), { segments: 0, distances: 0 }, 'the parsed bundle scores identically')
  const named = Object.fromEntries(ORIGINAL_FEATURES.map((f, j) => [f, table.values[5 * 15 + j]!]))
  t.same(scoreFeatures(bundle, named), scoreFeatures(bundle, row(table, 5)), 'a Record scores like the row')

  const again = trainModel({ table }, { recipe: 'original', seed: 0 })
  t.equal(serializeBundle(again.bundle), serializeBundle(bundle), 'same seed → identical serialised bundle')
})

t.test('default recipe on log-RFM features built from the reference table', async (t) => {
  const table = defaultTable()
  const yardstick = seedTable()
  const t0 = performance.now()
  const res = trainModel({ table, yardstick }, { recipe: 'default', seed: 0 })
  const ms = performance.now() - t0
  const { report, bundle } = res
  const m = report.metrics
  const n = table.customerIds.length
  const minShare = Math.min(...bundle.segments.map((s) => s.share))

  t.ok(report.k >= 3 && report.k <= 8, `k = ${report.k} chosen in [3, 8]`)
  t.ok(m.logRfmSilhouette !== null && m.logRfmSilhouette >= 0.3, `log-RFM silhouette ${m.logRfmSilhouette?.toFixed(4)} ≥ 0.30`)
  t.ok(m.stability >= 0.9, `bootstrap stability ${m.stability.toFixed(3)} ≥ 0.90`)
  t.ok(minShare >= 0.02, `smallest segment ${(100 * minShare).toFixed(1)}% ≥ 2%`)
  t.equal(bundle.segments.reduce((a, s) => a + s.size, 0), n, 'every customer has a segment')
  t.equal(res.assignments.filter((a) => a < 0).length, 0)
  t.ok(report.outliers.flagged > 0 && report.outliers.flagged < 0.05 * n, `${report.outliers.flagged} outliers flagged, not removed`)
  t.same(report.kScan.map((e) => e.k), [2, 3, 4, 5, 6, 7, 8], 'k = 2 and every k of the range are reported')
  for (const e of report.kScan) t.ok(Number.isFinite(e.silhouette) && Number.isFinite(e.stability), `k=${e.k}: silhouette and stability reported`)
  t.notOk(report.kScan[0]!.inRange, 'k = 2 is reported, never chosen')
  const orderValues = bundle.segments.map((s) => s.orderValue)
  t.same(orderValues, [...orderValues].sort((a, b) => b - a), 'segment 0 has the highest mean monetary')
  t.comment(`default: k=${report.k} (${report.kSelection}); silhouette ${m.silhouette.toFixed(4)}, log-RFM ${m.logRfmSilhouette?.toFixed(4)}, stability ${m.stability.toFixed(3)}, CH ${m.calinskiHarabasz.toFixed(1)}, DB ${m.daviesBouldin.toFixed(3)}, sizes ${report.segmentSizes.join(' / ')}, min share ${(100 * minShare).toFixed(1)}%, ${ms.toFixed(0)} ms ${JSON.stringify(report.timingsMs)}`)
  for (const e of report.kScan) t.comment(`  k=${e.k} silhouette ${e.silhouette.toFixed(4)} stability ${e.stability.toFixed(3)} (min ${e.stabilityMin.toFixed(3)}) min share ${(100 * e.minShare).toFixed(1)}% ${e.rejected.join('; ')}`)

  t.same(scoringMismatches(bundle, table, res), { segments: 0, distances: 0 }, 'every customer scores to its training segment, distances bit for bit')
  const parsed = parseBundle(serializeBundle(bundle))
  t.same(parsed, bundle, 'JSON round trip')
  t.same(scoreTable(parsed, table).segments, res.assignments, 'scoreTable on the parsed bundle = training assignments')
  t.same(scoreFeatures(bundle, { recency_days: 3, frequency: 40, monetary: 25_000 }).segment, bundle.segments[0]!.id, 'a frequent, recent big spender lands in the top segment')
  t.throws(() => scoreFeatures(bundle, { recency_days: 3, frequency: 4 }), /missing feature monetary/)
  t.throws(() => scoreFeatures(bundle, { recency_days: 3, frequency: 4, monetary: NaN }), /finite/)

  t.test('determinism', async (t) => {
    const again = trainModel({ table, yardstick }, { recipe: 'default', seed: 0 })
    t.equal(serializeBundle(again.bundle), serializeBundle(bundle), 'same seed → identical serialised bundle')
    t.same(again.assignments, res.assignments)
  })

  t.test('a retrain keeps the previous segment ids', async (t) => {
    // Give the previous model permuted ids (a rotation of 0..k-1): a retrain with another seed
    // must reuse them for the matching segments rather than its own business order.
    const k = bundle.segments.length
    const rotate = (id: number): number => (id + 1) % k
    const previous: ModelBundle = { ...bundle, segments: bundle.segments.map((s) => ({ ...s, id: rotate(s.id) })) }
    const retrain = trainModel({ table, yardstick }, { recipe: 'default', seed: 7, k: report.k, previous })
    t.ok(retrain.report.matchedToPrevious)
    let same = 0
    for (let i = 0; i < n; i++) if (retrain.assignments[i] === rotate(res.assignments[i]!)) same++
    t.ok(same / n > 0.95, `${((100 * same) / n).toFixed(1)}% of customers keep their (previous) segment id`)
    t.same(sorted(retrain.bundle.segments.map((s) => s.id)), sorted(previous.segments.map((s) => s.id)))
    t.same(retrain.bundle.segments.map((s) => s.id), Array.from({ length: k }, (_, i) => i), 'ids stay 0..k-1, in order')
  })

  t.test('matched to a previous model with more segments, ids stay contiguous', async (t) => {
    const wider = trainModel({ table, yardstick }, { recipe: 'default', seed: 3, k: report.k + 2 })
    const narrower = trainModel({ table, yardstick }, { recipe: 'default', seed: 7, k: report.k, previous: wider.bundle })
    t.ok(narrower.report.matchedToPrevious)
    t.same(narrower.bundle.segments.map((s) => s.id), Array.from({ length: report.k }, (_, i) => i))
    t.ok(narrower.assignments.every((a) => a >= 0 && a < report.k), 'every assignment is a valid id')
  })

  t.test('names, profiles and products fill the typed slots', async (t) => {
    const named = trainModel(
      { table, yardstick, annotate: ({ bundle: b }) => annotationsFrom(b.segments.map((s) => s.id), { names: b.segments.map((s) => ({ segment: s.id, name: `S${s.id}`, description: `segment ${s.id}` })), topProducts: b.segments.map(() => [{ stockCode: '85123A', description: 'WHITE HANGING HEART T-LIGHT HOLDER', buyers: 3 }]) }) },
      { recipe: 'default', seed: 0, k: 3 },
    )
    t.same(named.bundle.segments.map((s) => s.name), named.bundle.segments.map((s) => `S${s.id}`))
    t.equal(named.bundle.segments[0]!.topProducts![0]!.stockCode, '85123A')
    t.same(parseBundle(serializeBundle(named.bundle)), named.bundle)
  })
})
