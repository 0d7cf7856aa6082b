// Training: FeatureTable → ModelBundle + assignments + report, following the recipe's ModelSpec.
// Pure and deterministic: the same table, params and seed give a bit-identical bundle.
import type { FeatureTable, Matrix, RecipeName } from './types.ts'
import { matrix, sqDist, takeCols, takeRows } from './linalg.ts'
import { applyTransforms, fitTransforms, type TransformSpec } from './transforms.ts'
import { fitPca } from './pca.ts'
import { kmeans, nearestCentroid, type KMeansResult } from './kmeans.ts'
import { silhouetteScore } from './metrics.ts'
import { fitIsolationForest } from './isolation-forest.ts'
import { scoreK, selectK, type KScanEntry, type SelectKOptions } from './select-k.ts'
import { modelSpecFor, type ModelSpec } from './model-spec.ts'
import { deriveSeed } from './prng.ts'
import { hungarian } from './match.ts'
import {
  BUNDLE_FORMAT_VERSION,
  annotateBundle,
  compileBundle,
  embedRow,
  type ModelBundle,
  type OutlierRule,
  type Segment,
  type SegmentAnnotation,
} from './bundle.ts'

export interface AnnotateContext {
  table: FeatureTable
  /** Segment id of every table row. */
  assignments: Int32Array
  bundle: ModelBundle
}

export interface TrainInput {
  table: FeatureTable
  /** Seed-recipe table of the same customers: the common log-RFM yardstick for comparing recipes. */
  yardstick?: FeatureTable
  /** Names, descriptions, profiles, top products (profiles.ts / names.ts / recommend.ts). */
  annotate?: (ctx: AnnotateContext) => SegmentAnnotation[]
}

export interface TrainParams {
  recipe: RecipeName
  k?: number | 'auto'
  kRange?: [number, number]
  seed?: number
  /** The active model: segments are matched to its segments so ids survive a retrain. */
  previous?: ModelBundle
  /** Override the recipe's spec (experiments, tests). */
  spec?: ModelSpec
}

export interface TrainMetrics {
  /** On the metric rows (see TrainReport.metricRows), in model space. */
  silhouette: number
  calinskiHarabasz: number
  daviesBouldin: number
  inertia: number
  /** Mean bootstrap ARI of the chosen k (NaN when bootstraps = 0). */
  stability: number
  /** Silhouette of the assignments in the standardised log-RFM space of the yardstick (or the table). */
  logRfmSilhouette: number | null
}

export interface TrainReport {
  recipe: RecipeName
  k: number
  kSelection: string
  metrics: TrainMetrics
  /** 'inliers' when outliers were dropped from the model (seed), else 'all'. */
  metricRows: 'inliers' | 'all'
  kScan: KScanEntry[]
  pcaComponents: number | null
  /** Explained-variance ratio of each kept component. */
  explainedVariance: number[] | null
  cumulativeExplainedVariance: number | null
  outliers: { method: string; action: string; flagged: number; share: number; threshold: number | null; excludedFromFit: boolean }
  /** Customers per segment (bundle order), all customers. */
  segmentSizes: number[]
  /** Rows per segment among the rows the centroids were fitted on. */
  fittedSizes: number[]
  matchedToPrevious: boolean
  timingsMs: Record<string, number>
}

export interface TrainResult {
  bundle: ModelBundle
  /** Segment id of every table row. */
  assignments: Int32Array
  /** Euclidean distance of every row to every centroid: rows x k, in bundle segment order. */
  distances: Matrix
  /** 1 for rows flagged as outliers (dropped from the fit for seed, only flagged for default). */
  outliers: Uint8Array
  report: TrainReport
}

function columnIndex(table: FeatureTable, name: string): number {
  const i = table.features.indexOf(name)
  if (i < 0) throw new RangeError(`${table.recipe} feature table has no column ${name} (has ${table.features.join(', ')})`)
  return i
}

function columns(table: FeatureTable, names: readonly string[]): Matrix {
  const n = table.customerIds.length
  const p = table.features.length
  if (table.values.length !== n * p) throw new RangeError(`feature table has ${table.values.length} values for ${n}x${p}`)
  const idx = names.map((c) => columnIndex(table, c))
  return takeCols({ rows: n, cols: p, data: table.values }, idx)
}

const indicesWhere = (n: number, keep: (i: number) => boolean): Int32Array => {
  const out: number[] = []
  for (let i = 0; i < n; i++) if (keep(i)) out.push(i)
  return Int32Array.from(out)
}

/** Standardised log-RFM coordinates of `yard`'s customers that are in `ids`, with their row in `ids`. */
function logRfmSpace(yard: FeatureTable, ids: readonly string[]): { m: Matrix; rows: Int32Array } {
  const rfm = modelSpecFor(yard.recipe).rfm
  const raw = columns(yard, [rfm.recency, rfm.frequency, rfm.monetary])
  const pos = new Map<string, number>()
  ids.forEach((id, i) => pos.set(id, i))
  const yRows: number[] = []
  const tRows: number[] = []
  yard.customerIds.forEach((id, i) => {
    const t = pos.get(id)
    if (t !== undefined) {
      yRows.push(i)
      tRows.push(t)
    }
  })
  const specs: TransformSpec[] = [
    { kind: 'log1p', columns: [0, 1] },
    { kind: 'signedLog1p', columns: [2] },
    { kind: 'standardize', columns: [0, 1, 2] },
  ]
  return { m: fitTransforms(specs, takeRows(raw, yRows)).output, rows: Int32Array.from(tRows) }
}

function sameMatrix(a: Matrix, b: Matrix): boolean {
  if (a.rows !== b.rows || a.cols !== b.cols) return false
  for (let i = 0; i < a.data.length; i++) if (a.data[i] !== b.data[i]) return false
  return true
}

/**
 * Match new clusters to the previous model's segments: each new cluster's fitted rows are
 * embedded with the previous model (its transforms, PCA), their mean is compared with the
 * previous centroids, and the Hungarian algorithm minimises the total squared distance.
 * Returns the previous segment id for each new cluster (null when unmatched), or null when the
 * previous model cannot embed this table (other recipe or missing columns).
 */
function matchToPrevious(prev: ModelBundle, table: FeatureTable, rows: Int32Array, labels: Int32Array, k: number): (number | null)[] | null {
  if (prev.recipe !== table.recipe) return null
  const cols = prev.features.map((f) => table.features.indexOf(f))
  if (prev.inputs.some((i) => cols[i]! < 0)) return null
  const c = compileBundle(prev)
  const p = table.features.length
  const sums = new Float64Array(k * c.dims)
  const counts = new Float64Array(k)
  const row = new Float64Array(prev.features.length)
  const x = new Float64Array(c.dims)
  for (let q = 0; q < rows.length; q++) {
    const r = rows[q]!
    for (let j = 0; j < cols.length; j++) row[j] = cols[j]! >= 0 ? table.values[r * p + cols[j]!]! : NaN
    embedRow(c, row, 0, x)
    const l = labels[q]!
    counts[l]!++
    for (let j = 0; j < c.dims; j++) sums[l * c.dims + j]! += x[j]!
  }
  const cost: number[][] = []
  for (let l = 0; l < k; l++) {
    const mean = Float64Array.from({ length: c.dims }, (_, j) => sums[l * c.dims + j]! / Math.max(1, counts[l]!))
    cost.push(prev.segments.map((_, s) => sqDist(mean, 0, c.centroids, s * c.dims, c.dims)))
  }
  return hungarian(cost).map((s) => (s >= 0 ? prev.segments[s]!.id : null))
}

export function trainModel(input: TrainInput, params: TrainParams): TrainResult {
  const now = (): number => performance.now()
  const t0 = now()
  const timingsMs: Record<string, number> = {}
  const lap = (name: string, since: number): number => {
    const t = now()
    timingsMs[name] = Math.round((t - since) * 10) / 10
    return t
  }
  const { table } = input
  const spec = params.spec ?? modelSpecFor(params.recipe)
  if (table.recipe !== spec.recipe) throw new RangeError(`a ${table.recipe} feature table cannot train the ${spec.recipe} model`)
  const seed = params.seed ?? 0
  const n = table.customerIds.length
  const km = spec.kmeans
  const kWanted = params.k ?? km.k
  const kRange = params.kRange ?? km.kRange

  // 1. raw inputs, isolation-forest outliers on the raw columns (seed)
  const X = columns(table, spec.inputs)
  const outliers = new Uint8Array(n)
  let outlierRule: OutlierRule = { method: 'none', flagged: 0 }
  let t = now()
  if (spec.outliers.method === 'isolationForest') {
    const f = fitIsolationForest(X, {
      nEstimators: spec.outliers.nEstimators,
      maxSamples: spec.outliers.maxSamples,
      contamination: spec.outliers.contamination,
      seed: deriveSeed(seed, 'isolation-forest'),
    })
    outliers.set(f.outliers)
    outlierRule = { method: 'isolationForest', contamination: spec.outliers.contamination, threshold: f.model.threshold, action: spec.outliers.action, flagged: 0 }
  }
  t = lap('outliers', t)
  const dropped = spec.outliers.method === 'isolationForest' && spec.outliers.action === 'drop'
  const transformRows = dropped ? indicesWhere(n, (i) => outliers[i] === 0) : indicesWhere(n, () => true)

  // 2. transforms and PCA, fitted on the kept rows
  const inputIndex = (c: string): number => {
    const i = spec.inputs.indexOf(c)
    if (i < 0) throw new RangeError(`spec column ${c} is not an input`)
    return i
  }
  const specs: TransformSpec[] = spec.transforms.map((tr) => ({ kind: tr.kind, columns: tr.columns.map(inputIndex) }))
  const fitted = fitTransforms(specs, takeRows(X, transformRows))
  const modelColumns = spec.modelColumns.map(inputIndex)
  const pca = spec.pca ? fitPca(takeCols(fitted.output, modelColumns), spec.pca) : null
  t = lap('transforms+pca', t)

  // 3. every row in model space, through the same code as scoring
  const proto: ModelBundle = {
    formatVersion: BUNDLE_FORMAT_VERSION,
    recipe: spec.recipe,
    recipeVersion: table.recipeVersion,
    referenceDate: table.referenceDate,
    features: [...table.features],
    inputs: spec.inputs.map((c) => columnIndex(table, c)),
    transforms: fitted.params,
    modelColumns,
    pca,
    centroids: [],
    labelOrder: { by: spec.orderBy, direction: 'desc', matchedToPrevious: false },
    outliers: outlierRule,
    training: { seed, k: 0, customers: n, fittedCustomers: 0, kSelection: '' },
    segments: [],
  }
  const compiled = compileBundle(proto)
  const d = compiled.dims
  const M = matrix(n, d)
  const p = table.features.length
  for (let i = 0; i < n; i++) embedRow(compiled, table.values, i * p, M.data, i * d)

  if (spec.outliers.method === 'zscore') {
    const Z = takeCols(applyTransforms(fitted.params, X), modelColumns)
    const thr = spec.outliers.threshold
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < Z.cols; j++) {
        if (Math.abs(Z.data[i * Z.cols + j]!) > thr) {
          outliers[i] = 1
          break
        }
      }
    }
    outlierRule = { method: 'zscore', threshold: thr, action: 'flag', flagged: 0 }
  }
  let flagged = 0
  for (let i = 0; i < n; i++) flagged += outliers[i]!
  outlierRule = { ...outlierRule, flagged } as OutlierRule
  const excluded = dropped || (spec.fitWithoutFlagged && flagged > 0)
  const fitRows = excluded ? indicesWhere(n, (i) => outliers[i] === 0) : indicesWhere(n, () => true)
  const Mfit = fitRows.length === n ? M : takeRows(M, fitRows)
  // Metrics cover every customer when outliers are only flagged (each at its nearest centroid),
  // the inliers when they were dropped (as the original did).
  const metricRows = dropped ? fitRows : indicesWhere(n, () => true)
  const Mm = metricRows.length === fitRows.length ? Mfit : metricRows.length === n ? M : takeRows(M, metricRows)
  const evaluate = Mm === Mfit ? undefined : Mm
  t = lap('embed', t)

  // 4. k-means: fixed k, or chosen over kRange
  const selOpts: SelectKOptions = {
    kRange,
    extraK: km.extraK,
    nInit: km.nInit,
    maxIter: km.maxIter,
    tol: km.tol,
    seed,
    bootstraps: km.bootstraps,
    bootstrapNInit: km.bootstrapNInit,
    minStability: km.minStability,
    minShare: km.minShare,
  }
  let fit: KMeansResult
  let kScan: KScanEntry[]
  let kSelection: string
  let chosen: KScanEntry
  if (kWanted === 'auto') {
    const sel = selectK(Mfit, selOpts, evaluate)
    fit = sel.fits.get(sel.k)!
    kScan = sel.entries
    kSelection = sel.reason
    chosen = sel.entries.find((e) => e.k === sel.k)!
  } else {
    if (!Number.isInteger(kWanted) || kWanted < 2) throw new RangeError(`k must be an integer ≥ 2 or 'auto', got ${kWanted}`)
    fit = kmeans(Mfit, { k: kWanted, nInit: km.nInit, maxIter: km.maxIter, tol: km.tol, seed: deriveSeed(seed, 'kmeans', kWanted) })
    chosen = scoreK(Mfit, kWanted, fit, selOpts, true, evaluate)
    kScan = [chosen]
    kSelection = `fixed k = ${kWanted}`
  }
  const k = fit.k
  t = lap('kmeans+selection', t)

  // 5. segment ids: by mean ordering column (descending), or matched to the previous model
  const orderCol = columns(table, [spec.orderBy]).data
  const rawAssign = new Int32Array(n)
  for (let i = 0; i < n; i++) rawAssign[i] = nearestCentroid(M.data, i * d, fit.centroids, k, d).index
  const orderSum = new Float64Array(k)
  const orderCnt = new Float64Array(k)
  for (let i = 0; i < n; i++) {
    orderSum[rawAssign[i]!]! += orderCol[i]!
    orderCnt[rawAssign[i]!]!++
  }
  const orderMean = Array.from(orderSum, (s, c) => (orderCnt[c]! > 0 ? s / orderCnt[c]! : -Infinity))
  const byValue = Array.from({ length: k }, (_, c) => c).sort((a, b) => orderMean[b]! - orderMean[a]! || a - b)
  const idOf = new Array<number>(k)
  let matched = false
  const prevIds = params.previous ? matchToPrevious(params.previous, table, fitRows, fit.labels, k) : null
  if (prevIds) {
    // Ids stay 0..k-1 (the API indexes segments by id): a matched cluster keeps its previous id
    // when that id exists at this k; the others take the free ids in order of value.
    matched = true
    const taken = new Set<number>()
    for (const c of byValue) {
      const p = prevIds[c]
      if (p !== null && p !== undefined && p < k && !taken.has(p)) {
        idOf[c] = p
        taken.add(p)
      }
    }
    let free = 0
    for (const c of byValue) {
      if (idOf[c] !== undefined) continue
      while (taken.has(free)) free++
      idOf[c] = free
      taken.add(free)
    }
  } else {
    byValue.forEach((c, rank) => (idOf[c] = rank))
  }
  const clusterOfSlot = Array.from({ length: k }, (_, c) => c).sort((a, b) => idOf[a]! - idOf[b]!)
  const centroids = new Float64Array(k * d)
  clusterOfSlot.forEach((c, slot) => centroids.set(fit.centroids.subarray(c * d, c * d + d), slot * d))

  // 6. final assignments with the ordered centroids (the scoring code path)
  const slotOf = new Int32Array(n)
  const assignments = new Int32Array(n)
  const distances = matrix(n, k)
  const sizes = new Array<number>(k).fill(0)
  const valueSum = new Array<number>(k).fill(0)
  for (let i = 0; i < n; i++) {
    const s = nearestCentroid(M.data, i * d, centroids, k, d).index
    slotOf[i] = s
    assignments[i] = idOf[clusterOfSlot[s]!]!
    sizes[s]!++
    valueSum[s]! += orderCol[i]!
    for (let c = 0; c < k; c++) distances.data[i * k + c] = Math.sqrt(sqDist(M.data, i * d, centroids, c * d, d))
  }
  const fittedSizes = new Array<number>(k).fill(0)
  for (const r of fitRows) fittedSizes[slotOf[r]!]!++
  const segments: Segment[] = clusterOfSlot.map((c, s) => ({
    id: idOf[c]!,
    name: null,
    description: null,
    size: sizes[s]!,
    share: sizes[s]! / n,
    orderValue: sizes[s]! > 0 ? valueSum[s]! / sizes[s]! : 0,
    profile: null,
    topProducts: null,
  }))
  let bundle: ModelBundle = {
    ...proto,
    centroids: clusterOfSlot.map((_, s) => Array.from(centroids.subarray(s * d, s * d + d))),
    labelOrder: { by: spec.orderBy, direction: 'desc', matchedToPrevious: matched },
    outliers: outlierRule,
    training: { seed, k, customers: n, fittedCustomers: fitRows.length, kSelection },
    segments,
  }
  t = lap('assign', t)

  // 7. metrics on the metric rows: those of the chosen k's scan entry (same partition)
  const silhouette = chosen.silhouette
  let logRfmSilhouette: number | null = null
  const yard = logRfmSpace(input.yardstick ?? table, table.customerIds)
  const yLabels = Int32Array.from(yard.rows, (r) => assignments[r]!)
  if (new Set(yLabels).size >= 2 && yard.rows.length > 2) {
    logRfmSilhouette = !dropped && yard.rows.length === n && sameMatrix(yard.m, M) ? silhouette : silhouetteScore(yard.m, yLabels, { seed })
  }
  const metrics: TrainMetrics = {
    silhouette,
    calinskiHarabasz: chosen.calinskiHarabasz,
    daviesBouldin: chosen.daviesBouldin,
    inertia: chosen.inertia,
    stability: chosen.stability,
    logRfmSilhouette,
  }
  lap('metrics', t)

  if (input.annotate) bundle = annotateBundle(bundle, input.annotate({ table, assignments, bundle }))
  lap('total', t0)

  const report: TrainReport = {
    recipe: spec.recipe,
    k,
    kSelection,
    metrics,
    metricRows: dropped ? 'inliers' : 'all',
    kScan,
    pcaComponents: pca ? pca.nComponents : null,
    explainedVariance: pca ? pca.explainedVarianceRatio.slice(0, pca.nComponents) : null,
    cumulativeExplainedVariance: pca ? pca.explainedVarianceRatio.slice(0, pca.nComponents).reduce((a, v) => a + v, 0) : null,
    outliers: {
      method: spec.outliers.method,
      action: spec.outliers.method === 'none' ? 'none' : spec.outliers.action,
      flagged,
      share: n > 0 ? flagged / n : 0,
      threshold: outlierRule.method === 'none' ? null : outlierRule.threshold,
      excludedFromFit: excluded,
    },
    segmentSizes: sizes,
    fittedSizes,
    matchedToPrevious: matched,
    timingsMs,
  }
  return { bundle, assignments, distances, outliers, report }
}
