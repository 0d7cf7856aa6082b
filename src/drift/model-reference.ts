// What a model version remembers of its training data for drift (no rows: sketches and counts),
// and the comparison of new data against it: per-feature drift, the shift of segment shares, and
// how well the new customers fit the model (distance to the nearest centroid; PCA reconstruction
// error where the model has a PCA).
import { modelInputRows, scoreTable, type ModelBundle } from '../pipeline/bundle.ts'
import { reconstructionError } from '../pipeline/pca.ts'
import type { FeatureTable } from '../pipeline/types.ts'
import { meanStd } from './stats.ts'
import { sketchTable, type FeatureSketch } from './reference.ts'
import { driftReport, reconstructionShift, recommendation, segmentShift, type DriftOptions, type DriftReport, type ReconstructionShift, type SegmentShift } from './report.ts'

export interface ModelReference {
  customers: number
  features: Record<string, FeatureSketch>
  /** Share of training customers per segment id. */
  segmentShares: number[]
  fit: {
    nearestDistance: { mean: number; std: number }
    reconstruction: { mean: number; std: number } | null
  }
}

interface FitErrors {
  nearest: Float64Array
  reconstruction: Float64Array | null
}

function fitErrors(bundle: ModelBundle, table: FeatureTable): FitErrors & { segments: Int32Array } {
  const scored = scoreTable(bundle, table)
  const k = bundle.segments.length
  const nearest = new Float64Array(table.customerIds.length)
  for (let r = 0; r < nearest.length; r++) nearest[r] = scored.distances[r * k + scored.index[r]!]!
  const reconstruction = bundle.pca ? reconstructionError(bundle.pca, modelInputRows(bundle, table)).perRow : null
  return { nearest, reconstruction, segments: scored.segments }
}

const stats = (v: ArrayLike<number>) => {
  const { mean, std } = meanStd(v)
  return { mean, std }
}

export function buildReference(bundle: ModelBundle, table: FeatureTable): ModelReference {
  const fit = fitErrors(bundle, table)
  const counts = new Array<number>(bundle.segments.length).fill(0)
  for (const s of fit.segments) counts[s]!++
  return {
    customers: table.customerIds.length,
    features: sketchTable(table),
    segmentShares: counts.map((c) => c / Math.max(1, table.customerIds.length)),
    fit: { nearestDistance: stats(fit.nearest), reconstruction: fit.reconstruction ? stats(fit.reconstruction) : null },
  }
}

export interface DriftComparison {
  report: DriftReport
  segments: SegmentShift & { referenceShares: number[] }
  fit: { nearestDistance: ReconstructionShift; reconstruction: ReconstructionShift | null }
  recommendation: string
}

export function compareToReference(reference: ModelReference, bundle: ModelBundle, current: FeatureTable, options: DriftOptions = {}): DriftComparison {
  const report = driftReport(reference.features, current, options)
  const fit = fitErrors(bundle, current)
  const counts = new Array<number>(bundle.segments.length).fill(0)
  for (const s of fit.segments) counts[s]!++
  const shift = segmentShift(reference.segmentShares, counts)
  const nearest = reconstructionShift(reference.fit.nearestDistance.mean, reference.fit.nearestDistance.std, fit.nearest)
  const reconstruction = reference.fit.reconstruction && fit.reconstruction
    ? reconstructionShift(reference.fit.reconstruction.mean, reference.fit.reconstruction.std, fit.reconstruction)
    : null
  return {
    report,
    segments: { ...shift, referenceShares: reference.segmentShares },
    fit: { nearestDistance: nearest, reconstruction },
    recommendation: recommendation(report, { segments: shift, reconstruction: reconstruction ?? nearest }),
  }
}
