// Pearson's chi-squared goodness-of-fit test, plain (scipy) and against reference counts
// (Evidently's categorical drift test).
import { chiSquaredSf } from './special.ts'

export interface ChiSquareResult {
  statistic: number
  dof: number
  pValue: number
}

/**
 * Pearson's chi-squared goodness-of-fit test, as scipy.stats.chisquare(f_obs, f_exp):
 * Σ (o - e)² / e with dof = k - 1. A category with e = 0 and o > 0 makes the statistic
 * Infinity (p = 0); categories with e = o = 0 contribute nothing (but still count in k, as scipy).
 * `expected` defaults to the uniform split of the observed total.
 */
export function chiSquareTest(observed: ArrayLike<number>, expected?: ArrayLike<number>): ChiSquareResult {
  const k = observed.length
  if (k === 0) throw new RangeError('chiSquareTest needs at least one category')
  if (expected !== undefined && expected.length !== k) throw new RangeError('observed and expected differ in length')
  let total = 0
  for (let i = 0; i < k; i++) total += observed[i]!
  let statistic = 0
  for (let i = 0; i < k; i++) {
    const o = observed[i]!
    const e = expected === undefined ? total / k : expected[i]!
    const diff = o - e
    if (diff === 0) continue
    statistic += e > 0 ? (diff * diff) / e : Infinity
  }
  const dof = k - 1
  const pValue = dof === 0 ? Number.NaN : statistic === Infinity ? 0 : chiSquaredSf(statistic, dof)
  return { statistic, dof, pValue }
}

/**
 * Evidently's chi-squared drift test: category counts of the current sample against the
 * reference counts rescaled to the current total (expected_i = ref_i · n_cur / n_ref), over the
 * union of categories (both arrays aligned by category).
 */
export function chiSquareAgainstReference(referenceCounts: ArrayLike<number>, currentCounts: ArrayLike<number>): ChiSquareResult {
  if (referenceCounts.length !== currentCounts.length) throw new RangeError('count vectors differ in length')
  let nRef = 0
  let nCur = 0
  for (let i = 0; i < referenceCounts.length; i++) {
    nRef += referenceCounts[i]!
    nCur += currentCounts[i]!
  }
  const expected = Array.from(referenceCounts, (c) => (c * nCur) / nRef)
  return chiSquareTest(currentCounts, expected)
}
