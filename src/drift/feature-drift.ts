// The drift of one feature: Evidently's default choice of test for it (see report.ts), the
// test's verdict and its PSI, against the reference reconstructed from the feature's sketch.
import { type FeatureSketch, reconstructSample, sketchQuantile } from './reference.ts'
import { DRIFT_DEFAULTS, finiteOrNull, type DriftMethod, type DriftOptions, type FeatureDrift } from './report-types.ts'
import {
  binProportions,
  chiSquareAgainstReference,
  jensenShannonDistance,
  ksTwoSample,
  meanStd,
  proportionZTest,
  psiBand,
  psiFromProportions,
  wassersteinSorted,
  WASSERSTEIN_MIN_NORM,
} from './stats.ts'

const CATEGORY_PROBE = 21

/** Up to `limit` distinct values of an ascending sample, with their counts. */
function distinctCounts(sorted: Float64Array, limit: number): { values: number[]; counts: number[] } {
  const values: number[] = []
  const counts: number[] = []
  for (let i = 0; i < sorted.length; i++) {
    if (i === 0 || sorted[i] !== sorted[i - 1]) {
      if (values.length === limit) break
      values.push(sorted[i]!)
      counts.push(0)
    }
    counts[counts.length - 1]!++
  }
  return { values, counts }
}

/** Counts of both samples over the union of their values (ascending). */
function alignCategories(
  ref: { values: number[]; counts: number[] },
  cur: { values: number[]; counts: number[] },
): { keys: number[]; refCounts: number[]; curCounts: number[] } {
  const keys = [...new Set([...ref.values, ...cur.values])].sort((a, b) => a - b)
  const at = (side: { values: number[]; counts: number[] }, k: number) => {
    const i = side.values.indexOf(k)
    return i < 0 ? 0 : side.counts[i]!
  }
  return { keys, refCounts: keys.map((k) => at(ref, k)), curCounts: keys.map((k) => at(cur, k)) }
}

interface Decision {
  method: DriftMethod
  statistic: number
  pValue?: number
  score: number
  threshold: number
  drifted: boolean
}

type Aligned = ReturnType<typeof alignCategories>

function decide(sketch: FeatureSketch, cur: Float64Array, aligned: Aligned | null, refSample: Float64Array | null, regime: 'tests' | 'distances', options: DriftOptions): Decision {
  if (regime === 'tests') {
    const threshold = options.threshold ?? DRIFT_DEFAULTS.pValueThreshold
    const test = (method: DriftMethod, statistic: number, pValue: number): Decision =>
      ({ method, statistic, pValue, score: pValue, threshold, drifted: pValue <= threshold })
    if (aligned === null) {
      const ks = ksTwoSample(refSample!, cur)
      return test('ks', ks.statistic, ks.pValue)
    }
    if (aligned.keys.length > 2) {
      const chi = chiSquareAgainstReference(aligned.refCounts, aligned.curCounts)
      return test('chisquare', chi.statistic, chi.pValue)
    }
    if (aligned.keys.length < 2) return test('z', 0, 1) // one value on both sides
    // Evidently: the share of values other than the smallest one.
    const z = proportionZTest(aligned.refCounts[1]!, sketch.count, aligned.curCounts[1]!, cur.length)
    return test('z', z.statistic, z.pValue)
  }
  const threshold = options.threshold ?? DRIFT_DEFAULTS.distanceThreshold
  const statistic = aligned === null
    ? wassersteinSorted(refSample!, cur) / Math.max(sketch.std, WASSERSTEIN_MIN_NORM)
    : jensenShannonDistance(aligned.refCounts, aligned.curCounts)
  return { method: aligned === null ? 'wasserstein' : 'jensenshannon', statistic, score: statistic, threshold, drifted: statistic >= threshold }
}

function featurePsi(sketch: FeatureSketch, cur: Float64Array, categories: Aligned | null, refSample: Float64Array | null, bins: number): number {
  if (categories !== null) {
    return psiFromProportions(
      categories.refCounts.map((c) => c / sketch.count),
      categories.curCounts.map((c) => c / cur.length),
    )
  }
  const edges: number[] = []
  for (let k = 1; k < bins; k++) {
    const e = sketchQuantile(sketch, k / bins)
    if (edges.length === 0 || e > edges[edges.length - 1]!) edges.push(e)
  }
  const ref = refSample ?? reconstructSample(sketch)
  return psiFromProportions(binProportions(ref, edges), binProportions(cur, edges))
}

/** The drift of the reference feature `feature` (its sketch) in the current, ascending, finite values `cur`. */
export function featureDrift(feature: string, sketch: FeatureSketch, cur: Float64Array, regime: 'tests' | 'distances', options: DriftOptions): FeatureDrift {
  const curCats = distinctCounts(cur, CATEGORY_PROBE)
  // Values of reference ∪ current, when both have at most 20 distinct values.
  const union = sketch.categories !== null && curCats.values.length < CATEGORY_PROBE ? alignCategories(sketch.categories, curCats) : null
  const distinctValues = union !== null ? Math.min(union.keys.length, CATEGORY_PROBE) : CATEGORY_PROBE
  const categorical = distinctValues <= DRIFT_DEFAULTS.maxCategoricalValues
  const refSample = categorical ? null : reconstructSample(sketch)
  const d = decide(sketch, cur, categorical ? union : null, refSample, regime, options)
  const psi = featurePsi(sketch, cur, union, refSample, options.psiBins ?? DRIFT_DEFAULTS.psiBins)
  const out: FeatureDrift = {
    feature,
    method: d.method,
    statistic: finiteOrNull(d.statistic),
    score: d.score,
    threshold: d.threshold,
    drifted: d.drifted,
    psi,
    psiBand: psiBand(psi),
    distinctValues,
    referenceMean: sketch.mean,
    currentMean: meanStd(cur).mean,
    currentCount: cur.length,
  }
  if (d.pValue !== undefined) out.pValue = d.pValue
  return out
}
