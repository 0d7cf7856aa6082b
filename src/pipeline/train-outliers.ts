// Training step 1 (and its second half after the transforms): which rows are outliers, and
// which rows the transforms, the centroids and the metrics are fitted on.
import type { Matrix } from './types.ts'
import { applyTransforms, type TransformParams } from './transforms.ts'
import { takeCols } from './linalg.ts'
import { fitIsolationForest } from './isolation-forest.ts'
import { deriveSeed } from './prng.ts'
import type { OutlierRule } from './bundle.ts'
import type { OutlierSpec } from './model-spec.ts'
import { indicesWhere } from './train-types.ts'

export interface OutlierFit {
  /** 1 for a flagged row. */
  flags: Uint8Array
  rule: OutlierRule
  /** The flagged rows are removed before anything is fitted (the original recipe). */
  dropped: boolean
}

/** Isolation-forest outliers on the raw input columns `x` (a z-score rule flags nothing yet). */
export function fitOutliers(x: Matrix, spec: OutlierSpec, seed: number): OutlierFit {
  const flags = new Uint8Array(x.rows)
  if (spec.method !== 'isolationForest') return { flags, rule: { method: 'none', flagged: 0 }, dropped: false }
  const f = fitIsolationForest(x, {
    nEstimators: spec.nEstimators,
    maxSamples: spec.maxSamples,
    contamination: spec.contamination,
    seed: deriveSeed(seed, 'isolation-forest'),
  })
  flags.set(f.outliers)
  const rule: OutlierRule = { method: 'isolationForest', contamination: spec.contamination, threshold: f.model.threshold, action: spec.action, flagged: 0 }
  return { flags, rule, dropped: spec.action === 'drop' }
}

/** Rows the transforms are fitted on: all, or the inliers when outliers are dropped. */
export function transformRows(o: OutlierFit): Int32Array {
  return indicesWhere(o.flags.length, o.dropped ? (i) => o.flags[i] === 0 : () => true)
}

/**
 * The z-score rule, once the transforms are fitted: a row is flagged when any transformed
 * model column exceeds the threshold in absolute value. Returns the final flags and rule
 * (with its count); other rules pass through with their count.
 */
export function flagOutliers(o: OutlierFit, spec: OutlierSpec, transforms: readonly TransformParams[], x: Matrix, modelColumns: readonly number[]): OutlierFit {
  const flags = o.flags.slice()
  let rule = o.rule
  if (spec.method === 'zscore') {
    const z = takeCols(applyTransforms(transforms, x), modelColumns)
    for (let i = 0; i < z.rows; i++) {
      for (let j = 0; j < z.cols; j++) {
        if (Math.abs(z.data[i * z.cols + j]!) > spec.threshold) {
          flags[i] = 1
          break
        }
      }
    }
    rule = { method: 'zscore', threshold: spec.threshold, action: 'flag', flagged: 0 }
  }
  let flagged = 0
  for (let i = 0; i < flags.length; i++) flagged += flags[i]!
  return { flags, rule: { ...rule, flagged } as OutlierRule, dropped: o.dropped }
}

export interface FitRows {
  /** Rows the centroids are fitted on. */
  fit: Int32Array
  /** Rows the metrics are computed on: the inliers when outliers were dropped, else all. */
  metric: Int32Array
  /** Whether flagged rows were kept out of the centroid fit. */
  excluded: boolean
}

export function fitRows(o: OutlierFit, fitWithoutFlagged: boolean): FitRows {
  const n = o.flags.length
  const excluded = o.dropped || (fitWithoutFlagged && o.rule.flagged > 0)
  const fit = indicesWhere(n, excluded ? (i) => o.flags[i] === 0 : () => true)
  return { fit, metric: o.dropped ? fit : indicesWhere(n, () => true), excluded }
}
