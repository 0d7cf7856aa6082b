// The shapes that go in and out of training (train.ts composes the steps in train-*.ts), and the
// two table helpers every step uses.
import type { FeatureTable, Matrix, RecipeName } from './types.ts'
import { takeCols } from './linalg.ts'
import type { KScanEntry } from './select-k.ts'
import type { ModelSpec } from './model-spec.ts'
import type { ModelBundle, SegmentAnnotation } from './bundle.ts'

export interface AnnotateContext {
  table: FeatureTable
  /** Segment id of every table row. */
  assignments: Int32Array
  bundle: ModelBundle
}

export interface TrainInput {
  table: FeatureTable
  /** Original-recipe table of the same customers: the common log-RFM yardstick for comparing recipes. */
  yardstick?: FeatureTable
  /** Names, descriptions, profiles, top products (profiles.ts / names.ts / recommend.ts). */
  annotate?: (ctx: AnnotateContext) => SegmentAnnotation[]
}

/**
 * What a model is trained with, every default resolved: the one params type from the request
 * (POST /train, schemas/jobs.ts) through the job and src/training/ to `train`.
 */
export interface ModelParams {
  recipe: RecipeName
  /** A fixed k, or 'auto': chosen over kRange. */
  k: number | 'auto'
  /** [min, max] of the k scan. */
  kRange: [number, number]
  /** The random seed of every fit (isolation forest, k-means, bootstraps, silhouette sample). */
  seed: number
}

/** `train`'s options: ModelParams (k, kRange and seed default to the recipe's spec and 0). */
export interface TrainOptions extends Pick<ModelParams, 'recipe'>, Partial<Omit<ModelParams, 'recipe'>> {
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
  /** 'inliers' when outliers were dropped from the model (original recipe), else 'all'. */
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
  /** By segment id: the previous model's segment it continues, or null for a segment with no counterpart. */
  counterparts: (number | null)[]
  timingsMs: Record<string, number>
}

export interface TrainResult {
  bundle: ModelBundle
  /** Segment id of every table row. */
  assignments: Int32Array
  /** Euclidean distance of every row to every centroid: rows x k, in bundle segment order. */
  distances: Matrix
  /** 1 for rows flagged as outliers (dropped from the fit for the original recipe, only flagged for default). */
  outliers: Uint8Array
  report: TrainReport
}

export function columnIndex(table: FeatureTable, name: string): number {
  const i = table.features.indexOf(name)
  if (i < 0) throw new RangeError(`${table.recipe} feature table has no column ${name} (has ${table.features.join(', ')})`)
  return i
}

/** The named columns of a table, as a matrix. */
export function columns(table: FeatureTable, names: readonly string[]): Matrix {
  const n = table.customerIds.length
  const p = table.features.length
  if (table.values.length !== n * p) throw new RangeError(`feature table has ${table.values.length} values for ${n}x${p}`)
  const idx = names.map((c) => columnIndex(table, c))
  return takeCols({ rows: n, cols: p, data: table.values }, idx)
}

/** Indices i < n with keep(i), ascending. */
export function indicesWhere(n: number, keep: (i: number) => boolean): Int32Array {
  const out: number[] = []
  for (let i = 0; i < n; i++) if (keep(i)) out.push(i)
  return Int32Array.from(out)
}
