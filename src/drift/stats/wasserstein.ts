// Wasserstein-1 distance between two samples, plain (scipy) and normed as Evidently does.
import { meanStd, sorted } from './samples.ts'

/** W1 of two ascending samples: ∫ |F_a(x) - F_b(x)| dx over the merged support. */
export function wassersteinSorted(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n1 = a.length
  const n2 = b.length
  if (n1 === 0 || n2 === 0) throw new RangeError('wassersteinDistance needs two non-empty samples')
  let i = 0
  let j = 0
  let prevX = Math.min(a[0]!, b[0]!)
  let total = 0
  while (i < n1 || j < n2) {
    const x = j >= n2 || (i < n1 && a[i]! <= b[j]!) ? a[i]! : b[j]!
    // The ECDFs are constant on [prevX, x).
    total += Math.abs(i / n1 - j / n2) * (x - prevX)
    while (i < n1 && a[i]! <= x) i++
    while (j < n2 && b[j]! <= x) j++
    prevX = x
  }
  return total
}

/** First Wasserstein distance between two samples (scipy.stats.wasserstein_distance, unweighted). */
export function wassersteinDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return wassersteinSorted(sorted(a), sorted(b))
}

/** Floor of the normalising std, as Evidently: max(np.std(reference), 0.001). */
export const WASSERSTEIN_MIN_NORM = 0.001

/**
 * Evidently's "Wasserstein distance (normed)": W1(reference, current) / max(std(reference), 0.001)
 * with the population std (np.std, ddof = 0). Pass `referenceStd` when it is known (a sketch).
 */
export function normedWasserstein(reference: ArrayLike<number>, current: ArrayLike<number>, referenceStd?: number): number {
  const std = referenceStd ?? meanStd(reference).std
  return wassersteinDistance(reference, current) / Math.max(std, WASSERSTEIN_MIN_NORM)
}
