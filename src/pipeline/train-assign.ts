// Training step 7: every row is assigned to its nearest ordered centroid (the scoring code
// path), with its distance to each centroid, and each segment is counted.
import type { Matrix } from './types.ts'
import { matrix, sqDist } from './linalg.ts'
import { nearestCentroid } from './kmeans.ts'
import type { Segment } from './bundle.ts'
import type { OrderedCentroids } from './train-ids.ts'

export interface Assignment {
  /** Segment id of every row. */
  assignments: Int32Array
  /** rows x k, in slot order. */
  distances: Matrix
  /** Rows per slot: all rows, and the fitted rows. */
  sizes: number[]
  fittedSizes: number[]
  /** One per slot, without names, profiles or products yet. */
  segments: Segment[]
}

export function assignRows(m: Matrix, ordered: OrderedCentroids, idOf: readonly number[], orderCol: ArrayLike<number>, fitRows: Int32Array): Assignment {
  const { centroids, clusterOfSlot } = ordered
  const n = m.rows
  const d = m.cols
  const k = clusterOfSlot.length
  const slotOf = new Int32Array(n)
  const assignments = new Int32Array(n)
  const distances = matrix(n, k)
  const sizes = new Array<number>(k).fill(0)
  const valueSum = new Array<number>(k).fill(0)
  for (let i = 0; i < n; i++) {
    const s = nearestCentroid(m.data, i * d, centroids, k, d).index
    slotOf[i] = s
    assignments[i] = idOf[clusterOfSlot[s]!]!
    sizes[s]!++
    valueSum[s]! += orderCol[i]!
    for (let c = 0; c < k; c++) distances.data[i * k + c] = Math.sqrt(sqDist(m.data, i * d, centroids, c * d, d))
  }
  const fittedSizes = new Array<number>(k).fill(0)
  for (const r of fitRows) fittedSizes[slotOf[r]!]!++
  const segments: Segment[] = clusterOfSlot.map((c, s) => ({
    id: idOf[c]!,
    name: null,
    description: null,
    size: sizes[s]!,
    share: sizes[s]! / n,
    orderValue: sizes[s]! > 0 ? valueSum[s]! / sizes[s]! : 0,
    profile: null,
    topProducts: null,
  }))
  return { assignments, distances, sizes, fittedSizes, segments }
}
