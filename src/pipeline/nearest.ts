// Nearest centroid: the one distance code shared by k-means, training and scoring (same
// arithmetic everywhere, so the same bits).
import type { Matrix } from './types.ts'
import { sqDist } from './linalg.ts'

/** Index of the nearest of `k` centroids to `row[ro..ro+d)`, first on ties, and its squared distance. */
export function nearestCentroid(row: ArrayLike<number>, ro: number, centroids: ArrayLike<number>, k: number, d: number): { index: number; sqDist: number } {
  let best = 0
  let bestD = Infinity
  for (let c = 0; c < k; c++) {
    const dist = sqDist(row, ro, centroids, c * d, d)
    if (dist < bestD) {
      bestD = dist
      best = c
    }
  }
  return { index: best, sqDist: bestD }
}

/**
 * Nearest-centroid labels and squared distances for every row: `nearestCentroid` per row, inlined
 * (same arithmetic, so the same bits; no per-row allocation).
 */
export function assignNearest(x: Matrix, centroids: ArrayLike<number>, k: number): { labels: Int32Array; sqDistances: Float64Array } {
  const d = x.cols
  const X = x.data
  const C = centroids instanceof Float64Array ? centroids : Float64Array.from(centroids)
  const labels = new Int32Array(x.rows)
  const sqDistances = new Float64Array(x.rows)
  for (let i = 0, o = 0; i < x.rows; i++, o += d) {
    let best = 0
    let bestD = Infinity
    for (let c = 0; c < k; c++) {
      const dist = dist2(X, o, C, c * d, d)
      if (dist < bestD) {
        bestD = dist
        best = c
      }
    }
    labels[i] = best
    sqDistances[i] = bestD
  }
  return { labels, sqDistances }
}

/** Squared distance, unrolled for the common low dimensions (bit-identical to sqDist: same order). */
export function dist2(a: Float64Array, ao: number, b: Float64Array, bo: number, d: number): number {
  if (d === 3) {
    const t0 = a[ao]! - b[bo]!
    const t1 = a[ao + 1]! - b[bo + 1]!
    const t2 = a[ao + 2]! - b[bo + 2]!
    return t0 * t0 + t1 * t1 + t2 * t2
  }
  let s = 0
  for (let j = 0; j < d; j++) {
    const t = a[ao + j]! - b[bo + j]!
    s += t * t
  }
  return s
}
