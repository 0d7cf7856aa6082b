// Training step 6: segment ids. Clusters are ordered by the mean of the ordering column
// (descending), or matched to the previous model's segments so a retrain keeps its ids.
import type { FeatureTable, Matrix } from './types.ts'
import { sqDist } from './linalg.ts'
import { nearestCentroid, type KMeansResult } from './kmeans.ts'
import { hungarian } from './match.ts'
import { recipeId } from './recipe-id.ts'
import { compileBundle, embedRow, type ModelBundle } from './bundle.ts'

/** Clusters by the mean of `orderCol` over the rows nearest to them, highest first (ties: lower cluster). */
export function clustersByValue(m: Matrix, fit: KMeansResult, orderCol: ArrayLike<number>): number[] {
  const { k } = fit
  const d = m.cols
  const sum = new Float64Array(k)
  const count = new Float64Array(k)
  for (let i = 0; i < m.rows; i++) {
    const c = nearestCentroid(m.data, i * d, fit.centroids, k, d).index
    sum[c]! += orderCol[i]!
    count[c]!++
  }
  const mean = Array.from(sum, (s, c) => (count[c]! > 0 ? s / count[c]! : -Infinity))
  return Array.from({ length: k }, (_, c) => c).sort((a, b) => mean[b]! - mean[a]! || a - b)
}

/**
 * Match new clusters to the previous model's segments: each new cluster's fitted rows are
 * embedded with the previous model (its transforms, PCA), their mean is compared with the
 * previous centroids, and the Hungarian algorithm minimises the total squared distance.
 * Returns the previous segment id for each new cluster (null when unmatched), or null when the
 * previous model cannot embed this table (other recipe or missing columns).
 */
export function matchToPrevious(prev: ModelBundle, table: FeatureTable, rows: Int32Array, labels: Int32Array, k: number): (number | null)[] | null {
  if (recipeId(prev.recipe) !== recipeId(table.recipe)) return null
  const cols = prev.features.map((f) => table.features.indexOf(f))
  if (prev.inputs.some((i) => cols[i]! < 0)) return null
  const c = compileBundle(prev)
  const p = table.features.length
  const sums = new Float64Array(k * c.dims)
  const counts = new Float64Array(k)
  const row = new Float64Array(prev.features.length)
  const x = new Float64Array(c.dims)
  for (let q = 0; q < rows.length; q++) {
    const r = rows[q]!
    for (let j = 0; j < cols.length; j++) row[j] = cols[j]! >= 0 ? table.values[r * p + cols[j]!]! : NaN
    embedRow(c, row, 0, x)
    const l = labels[q]!
    counts[l]!++
    for (let j = 0; j < c.dims; j++) sums[l * c.dims + j]! += x[j]!
  }
  const cost: number[][] = []
  for (let l = 0; l < k; l++) {
    const mean = Float64Array.from({ length: c.dims }, (_, j) => sums[l * c.dims + j]! / Math.max(1, counts[l]!))
    cost.push(prev.segments.map((_, s) => sqDist(mean, 0, c.centroids, s * c.dims, c.dims)))
  }
  return hungarian(cost).map((s) => (s >= 0 ? prev.segments[s]!.id : null))
}

/**
 * The id of each cluster. Without a match: its rank in `byValue`. With one, ids stay 0..k-1
 * (the API indexes segments by id): a matched cluster keeps its previous id when that id exists
 * at this k; the others take the free ids in order of value.
 */
export function segmentIds(byValue: readonly number[], previousIds: readonly (number | null)[] | null): number[] {
  const k = byValue.length
  const idOf = new Array<number>(k)
  if (!previousIds) {
    byValue.forEach((c, rank) => (idOf[c] = rank))
    return idOf
  }
  const taken = new Set<number>()
  for (const c of byValue) {
    const p = previousIds[c]
    if (p !== null && p !== undefined && p < k && !taken.has(p)) {
      idOf[c] = p
      taken.add(p)
    }
  }
  let free = 0
  for (const c of byValue) {
    if (idOf[c] !== undefined) continue
    while (taken.has(free)) free++
    idOf[c] = free
    taken.add(free)
  }
  return idOf
}

export interface OrderedCentroids {
  /** Cluster of each bundle slot; slots are in id order. */
  clusterOfSlot: number[]
  /** k x d, in slot order. */
  centroids: Float64Array
}

export function orderCentroids(fit: KMeansResult, idOf: readonly number[], d: number): OrderedCentroids {
  const clusterOfSlot = Array.from({ length: fit.k }, (_, c) => c).sort((a, b) => idOf[a]! - idOf[b]!)
  const centroids = new Float64Array(fit.k * d)
  clusterOfSlot.forEach((c, slot) => centroids.set(fit.centroids.subarray(c * d, c * d + d), slot * d))
  return { clusterOfSlot, centroids }
}
