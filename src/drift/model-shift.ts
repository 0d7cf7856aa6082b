// Drift of what the model itself produces: the shares of its segments and the reconstruction
// error of the new customers.
import { DRIFT_DEFAULTS, finiteOrNull } from './report-types.ts'
import { chiSquareTest, jensenShannonDistance, meanStd } from './stats.ts'

export interface SegmentShift {
  /** Chi-squared goodness of fit of the current counts to the reference shares. */
  statistic: number | null
  dof: number
  pValue: number
  /** Jensen-Shannon distance (natural log) between reference and current shares. */
  jsDistance: number
  currentShares: number[]
  /** jsDistance ≥ threshold (default 0.1): with thousands of customers the p-value flags even trivial moves. */
  shifted: boolean
  threshold: number
}

/**
 * Shift of segment sizes: `referenceShares[s]` (training share of segment s, any positive
 * scale) against `currentCounts[s]` (customers of the new data assigned to s). Segments with a
 * zero share and zero count are left out of the chi-squared test.
 */
export function segmentShift(referenceShares: readonly number[], currentCounts: readonly number[], threshold = DRIFT_DEFAULTS.distanceThreshold): SegmentShift {
  if (referenceShares.length !== currentCounts.length) throw new RangeError('shares and counts differ in length')
  const totalShare = referenceShares.reduce((a, b) => a + b, 0)
  const total = currentCounts.reduce((a, b) => a + b, 0)
  if (!(totalShare > 0) || !(total > 0)) throw new RangeError('segmentShift needs positive shares and counts')
  const obs: number[] = []
  const exp: number[] = []
  referenceShares.forEach((s, i) => {
    if (s === 0 && currentCounts[i] === 0) return
    obs.push(currentCounts[i]!)
    exp.push((s / totalShare) * total)
  })
  const chi = chiSquareTest(obs, exp)
  const jsDistance = jensenShannonDistance(referenceShares, currentCounts)
  return {
    statistic: finiteOrNull(chi.statistic),
    dof: chi.dof,
    pValue: chi.pValue,
    jsDistance,
    currentShares: currentCounts.map((c) => c / total),
    shifted: jsDistance >= threshold,
    threshold,
  }
}

export interface ReconstructionShift {
  referenceMean: number
  referenceStd: number
  currentMean: number
  lower: number
  upper: number
  /** currentMean outside referenceMean ± 3 referenceStd. */
  outside: boolean
  /** (currentMean - referenceMean) / referenceStd (0 when referenceStd is 0 and the means agree). */
  zScore: number
  /** Share of the current customers whose own error is above `upper`. */
  shareAbove: number
}

/** Mean reconstruction error of the new customers against the training mean ± 3 std. */
export function reconstructionShift(refMean: number, refStd: number, currentErrors: ArrayLike<number>): ReconstructionShift {
  if (currentErrors.length === 0) throw new RangeError('reconstructionShift needs at least one error')
  const { mean } = meanStd(currentErrors)
  const lower = refMean - 3 * refStd
  const upper = refMean + 3 * refStd
  let above = 0
  for (let i = 0; i < currentErrors.length; i++) if (currentErrors[i]! > upper) above++
  const diff = mean - refMean
  return {
    referenceMean: refMean,
    referenceStd: refStd,
    currentMean: mean,
    lower,
    upper,
    outside: mean < lower || mean > upper,
    zScore: refStd > 0 ? diff / refStd : diff === 0 ? 0 : Math.sign(diff) * Infinity,
    shareAbove: above / currentErrors.length,
  }
}
