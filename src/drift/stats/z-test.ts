// Two-proportion Z-test with pooled variance (Evidently's binary drift test).
import { normalSf } from './special.ts'

export interface ZTestResult {
  /** (p1 - p2) / sqrt(P(1 - P)(1/n1 + 1/n2)) with the pooled proportion P. */
  statistic: number
  /** Two-sided: 2 (1 - Φ(|z|)). */
  pValue: number
}

/**
 * Two-proportion Z-test with pooled variance (Evidently's proportions_diff_z_test, two-sided):
 * `successes1` of `n1` in the reference against `successes2` of `n2` in the current sample.
 * When the pooled proportion is 0 or 1 (both samples constant and equal) the p-value is 1.
 */
export function proportionZTest(successes1: number, n1: number, successes2: number, n2: number): ZTestResult {
  if (!(n1 > 0) || !(n2 > 0)) throw new RangeError('proportionZTest needs non-empty samples')
  const p1 = successes1 / n1
  const p2 = successes2 / n2
  const pooled = (successes1 + successes2) / (n1 + n2)
  const variance = pooled * (1 - pooled) * (1 / n1 + 1 / n2)
  if (!(variance > 0)) return { statistic: 0, pValue: 1 }
  const z = (p1 - p2) / Math.sqrt(variance)
  return { statistic: z, pValue: Math.min(1, 2 * normalSf(Math.abs(z))) }
}
