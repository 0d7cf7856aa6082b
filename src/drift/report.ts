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

import type { FeatureTable } from '../pipeline/types.ts'
import { type FeatureSketch, reconstructSample, SKETCH_VERSION, sketchQuantile, sortedFiniteColumn } from './reference.ts'
import {
  type PsiBand,
  binProportions,
  chiSquareAgainstReference,
  chiSquareTest,
  jensenShannonDistance,
  ksTwoSample,
  meanStd,
  proportionZTest,
  psiBand,
  psiFromProportions,
  wassersteinSorted,
  WASSERSTEIN_MIN_NORM,
} from './stats.ts'

export type DriftMethod = 'ks' | 'chisquare' | 'z' | 'wasserstein' | 'jensenshannon'

export const DRIFT_DEFAULTS = {
  /** Reference sizes up to this use the statistical tests, larger ones the distances. */
  smallReferenceMax: 1000,
  /** More distinct values than this (reference ∪ current) make a feature numeric. */
  maxCategoricalValues: 5,
  pValueThreshold: 0.05,
  distanceThreshold: 0.1,
  psiBins: 10,
  driftShare: 0.5,
} as const

export interface DriftOptions {
  /** Overrides the default threshold of whichever method is chosen (p-value 0.05 or distance 0.1). */
  threshold?: number
  /** PSI bins cut at reference quantiles (default 10). */
  psiBins?: number
  /** The dataset drifts when at least this share of the features drift (default 0.5). */
  driftShare?: number
}

export interface FeatureDrift {
  feature: string
  method: DriftMethod
  /**
   * KS D, chi-squared statistic, z, normed Wasserstein or Jensen-Shannon distance. null when not
   * finite: chi-squared with a category the reference never had.
   */
  statistic: number | null
  /** For the tests (ks, chisquare, z). */
  pValue?: number
  /** What is compared with `threshold`: the p-value (drift when ≤) or the distance (drift when ≥). */
  score: number
  threshold: number
  drifted: boolean
  psi: number
  psiBand: PsiBand
  /** Distinct values of reference ∪ current, counted up to 21. */
  distinctValues: number
  referenceMean: number
  currentMean: number
  currentCount: number
}

export interface DriftReport {
  /** Rows of the reference (training) table. */
  referenceSize: number
  /** Customers of the current table. */
  currentSize: number
  /** 'tests' when the reference has ≤ 1,000 rows, else 'distances'. */
  regime: 'tests' | 'distances'
  features: FeatureDrift[]
  /** Names of the drifted features, in reference order. */
  driftedFeatures: string[]
  numberOfFeatures: number
  numberOfDrifted: number
  /** Share of the compared features that drifted (0 when none were compared). */
  driftShare: number
  /** The share at or above which the dataset counts as drifted. */
  driftShareThreshold: number
  datasetDrift: boolean
  /** Reference features that could not be compared, and why. */
  skipped: { feature: string; reason: string }[]
}

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

function finiteOrNull(x: number): number | null {
  return Number.isFinite(x) ? x : null
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

function featureDrift(feature: string, sketch: FeatureSketch, cur: Float64Array, regime: 'tests' | 'distances', options: DriftOptions): FeatureDrift {
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

// ---------------------------------------------------------------------------------------------
// Segment shares and reconstruction error

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

// ---------------------------------------------------------------------------------------------
// Recommendation

const GROUPS: [string, RegExp][] = [
  ['cancellation', /cancel/i],
  ['monetary', /spend|monetary|value|price|revenue|amount/i],
  ['shopping-time', /hour|weekday|day_of_week/i],
  ['recency', /recency|since_last|tenure/i],
  ['frequency', /frequen|transaction|invoice|purchase|product|gap|between/i],
  ['country', /(^|_)uk($|_)|country/i],
]

/** Plain-language group of a feature name (monetary, frequency, recency, …; 'other' if unknown). */
export function featureGroup(name: string): string {
  for (const [group, re] of GROUPS) if (re.test(name)) return group
  return 'other'
}

function joinWords(words: string[]): string {
  if (words.length <= 1) return words.join('')
  return `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1)
}

function listNames(names: string[], max = 4): string {
  return names.length <= max ? names.join(', ') : `${names.slice(0, max).join(', ')}, …`
}

/** Groups of the names, the largest first (ties in order of appearance), and the names in that order. */
function byGroup(names: string[]): { groups: string[]; names: string[] } {
  const members = new Map<string, string[]>()
  for (const n of names) {
    const g = featureGroup(n)
    members.set(g, [...(members.get(g) ?? []), n])
  }
  const groups = [...members.keys()].sort((a, b) => members.get(b)!.length - members.get(a)!.length)
  return { groups, names: groups.flatMap((g) => members.get(g)!) }
}

/** "Monetary and frequency features drifted (Total_Spend, …; 3 of 15 features" */
function driftedPhrase(drifted: string[], of: number): string {
  const { groups, names } = byGroup(drifted)
  const known = groups.filter((g) => g !== 'other')
  const subject = known.length === 0 ? 'Some features' : `${capitalise(joinWords(known))}${groups.includes('other') ? ' and other' : ''} features`
  return `${subject} drifted (${listNames(names)}; ${drifted.length} of ${of} features`
}

/**
 * One plain-language sentence for the report: keep the model, watch, or retrain. Retraining is
 * recommended when the dataset drifts, when segment shares shifted, or when the mean
 * reconstruction error left the training range.
 */
export function recommendation(
  report: DriftReport,
  extras: { segments?: SegmentShift; reconstruction?: ReconstructionShift } = {},
): string {
  const drifted = report.driftedFeatures
  const segments = extras.segments?.shifted === true
  const reconstruction = extras.reconstruction?.outside === true
  if (report.datasetDrift || segments || reconstruction) {
    const reasons: string[] = []
    if (drifted.length > 0) reasons.push(`${driftedPhrase(drifted, report.numberOfFeatures)})`)
    if (segments) reasons.push(`segment shares shifted (Jensen-Shannon ${extras.segments!.jsDistance.toFixed(2)})`)
    if (reconstruction) reasons.push('new customers fit the model worse than the training customers did')
    const sentence = reasons.map((r, i) => (i === 0 ? capitalise(r) : r.charAt(0).toLowerCase() + r.slice(1)))
    return `${joinWords(sentence)}: retrain on recent data.`
  }
  if (drifted.length > 0) {
    const pct = Math.round(report.driftShareThreshold * 100)
    return `${driftedPhrase(drifted, report.numberOfFeatures)}, under the ${pct} % dataset-drift share): keep the model, watch these features and retrain if the drift spreads.`
  }
  const psiHigh = report.features.filter((f) => f.psiBand === 'significant').map((f) => f.feature)
  if (psiHigh.length > 0) {
    return `No drift by the default tests, but PSI is significant for ${listNames(psiHigh)}: keep the model and watch these features.`
  }
  return 'No drift: keep the model.'
}
