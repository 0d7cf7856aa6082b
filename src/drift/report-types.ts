// The shape of a drift report (GET /drift's content) and the defaults of its tests.
import type { PsiBand } from './stats.ts'

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

/** A statistic as JSON can carry it: null when not finite (Infinity has no JSON form). */
export function finiteOrNull(x: number): number | null {
  return Number.isFinite(x) ? x : null
}
