// Drift report: the current customers' features against the training reference sketches,
// with Evidently's default choice of test per feature (its legacy `_get_default_stattest`):
//
//   reference ≤ 1,000 rows ("tests" regime, drift when p ≤ threshold, default 0.05):
//     > 5 distinct values (reference ∪ current)  two-sample Kolmogorov-Smirnov
//     3-5 distinct values                         chi-squared against the reference proportions
//     ≤ 2 distinct values (binary)                two-proportion Z-test
//   reference > 1,000 rows ("distances" regime, drift when distance ≥ threshold, default 0.1):
//     > 5 distinct values                         Wasserstein-1 / max(std(reference), 0.001)
//     ≤ 5 distinct values                         Jensen-Shannon distance (natural log)
//
// Evidently compares p-values strictly (p < 0.05) for chi-squared and Z, and p ≤ 0.05 for KS;
// here every test uses p ≤ threshold. PSI is reported for every feature (10 reference-quantile
// bins by default, categories when the reference has ≤ 20 distinct values) with the bands
// < 0.1 none, 0.1-0.25 moderate, ≥ 0.25 significant; it does not decide `drifted`.
// The dataset drifts when the share of drifted features is ≥ driftShare (default 0.5).
//
// The reference side of every statistic is reconstructed from the sketch (see reference.ts):
// exact for features with ≤ 20 distinct values, within about 1/200 in ECDF otherwise.
//
// One feature's test is feature-drift.ts; the segment and reconstruction shifts are
// model-shift.ts; the sentence for people is recommendation.ts.

import type { FeatureTable } from '../pipeline/types.ts'
import { featureDrift } from './feature-drift.ts'
import { type FeatureSketch, SKETCH_VERSION, sortedFiniteColumn } from './reference.ts'
import { DRIFT_DEFAULTS, type DriftOptions, type DriftReport, type FeatureDrift } from './report-types.ts'

export { DRIFT_DEFAULTS, type DriftMethod, type DriftOptions, type DriftReport, type FeatureDrift } from './report-types.ts'
export { reconstructionShift, segmentShift, type ReconstructionShift, type SegmentShift } from './model-shift.ts'
export { featureGroup, recommendation } from './recommendation.ts'

/**
 * Drift of every reference feature in the current table (features matched by name; current
 * features without a reference are ignored). Throws on an empty current table.
 */
export function driftReport(
  reference: Record<string, FeatureSketch>,
  current: FeatureTable,
  options: DriftOptions = {},
): DriftReport {
  const driftShareThreshold = options.driftShare ?? DRIFT_DEFAULTS.driftShare
  const psiBins = options.psiBins ?? DRIFT_DEFAULTS.psiBins
  if (!Number.isInteger(psiBins) || psiBins < 2) throw new RangeError('psiBins must be an integer ≥ 2')
  const currentSize = current.customerIds.length
  if (currentSize === 0) throw new RangeError('the current table has no customers')
  const names = Object.keys(reference)
  let referenceSize = 0
  for (const name of names) referenceSize = Math.max(referenceSize, reference[name]!.count + reference[name]!.missing)
  const regime = referenceSize <= DRIFT_DEFAULTS.smallReferenceMax ? 'tests' : 'distances'

  const features: FeatureDrift[] = []
  const skipped: { feature: string; reason: string }[] = []
  for (const name of names) {
    const sketch = reference[name]!
    if (!current.features.includes(name)) {
      skipped.push({ feature: name, reason: 'not in the current data' })
      continue
    }
    if (sketch.version !== SKETCH_VERSION) {
      skipped.push({ feature: name, reason: `unsupported sketch version ${sketch.version}` })
      continue
    }
    if (sketch.count === 0) {
      skipped.push({ feature: name, reason: 'no finite values in the reference' })
      continue
    }
    const cur = sortedFiniteColumn(current, name)
    if (cur.length === 0) {
      skipped.push({ feature: name, reason: 'no finite values in the current data' })
      continue
    }
    features.push(featureDrift(name, sketch, cur, regime, options))
  }
  const driftedFeatures = features.filter((f) => f.drifted).map((f) => f.feature)
  const driftShare = features.length === 0 ? 0 : driftedFeatures.length / features.length
  return {
    referenceSize,
    currentSize,
    regime,
    features,
    driftedFeatures,
    numberOfFeatures: features.length,
    numberOfDrifted: driftedFeatures.length,
    driftShare,
    driftShareThreshold,
    datasetDrift: features.length > 0 && driftShare >= driftShareThreshold,
    skipped,
  }
}
