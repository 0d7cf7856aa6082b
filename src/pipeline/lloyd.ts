// Lloyd iterations for k-means (kmeans.ts), Hamerly-accelerated and exact: each iteration
// computes the centre gaps, assigns the points (assignStep), relocates empty clusters and
// moves the centres (updateCentres).
import type { Matrix } from './types.ts'
import { sqDist } from './linalg.ts'
import { assignNearest, dist2 } from './nearest.ts'

export interface LloydResult {
  centroids: Float64Array
  labels: Int32Array
  sqDistances: Float64Array
  inertia: number
  iterations: number
  converged: boolean
}

/** The iteration state: centres, incremental cluster sums, Hamerly's bounds, the last moves. */
interface Hamerly {
  x: Matrix
  W: Float64Array | undefined
  k: number
  centers: Float64Array
  /** Weighted sums of each cluster's rows, total weight and number of rows of each cluster. */
  sums: Float64Array
  counts: Float64Array
  members: Int32Array
  labels: Int32Array
  /** ≥ distance to own centre; ≤ distance to every other centre. */
  upper: Float64Array
  lower: Float64Array
  /** Half the distance from each centre to its nearest other centre. */
  half: Float64Array
  /** How far each centre moved in the last M-step; the largest move, its centre, the second largest. */
  moved: Float64Array
  maxMove: number
  maxAt: number
  secondMove: number
}

/**
 * Lloyd iterations from `start` (not modified) with sklearn's stopping rule (labels unchanged, or
 * total squared centre shift ≤ tolAbs), accelerated with Hamerly's bounds: a point is re-examined
 * only when its distance upper bound exceeds both its lower bound on the second-nearest centre
 * and half the gap from its centre to the nearest other centre. These are exact triangle-
 * inequality bounds, so the assignments are plain Lloyd's. Cluster sums are updated
 * incrementally (only moved points cost anything). An empty cluster takes the point farthest
 * (by upper bound) from its centre, like sklearn's relocation. Final labels and distances are
 * recomputed from the final centres with the shared nearest-centroid code.
 */
export function lloyd(x: Matrix, start: Float64Array, k: number, maxIter: number, tolAbs: number, weights?: Float64Array): LloydResult {
  const n = x.rows
  const d = x.cols
  const s: Hamerly = {
    x,
    W: weights,
    k,
    centers: Float64Array.from(start),
    sums: new Float64Array(k * d),
    counts: new Float64Array(k),
    members: new Int32Array(k),
    labels: new Int32Array(n).fill(-1),
    upper: new Float64Array(n),
    lower: new Float64Array(n),
    half: new Float64Array(k),
    moved: new Float64Array(k),
    maxMove: 0,
    maxAt: -1,
    secondMove: 0,
  }
  let converged = false
  let it = 0
  for (; it < maxIter; it++) {
    centreGaps(s)
    const changed = assignStep(s) + relocateEmpty(s)
    const shift = updateCentres(s)
    if (changed === 0 || shift <= tolAbs) {
      converged = true
      it++
      break
    }
  }
  // Final labels always from the final centres, with the same distance code as scoring.
  const { labels, sqDistances } = assignNearest(x, s.centers, k)
  const W = weights
  let inertia = 0
  for (let i = 0; i < n; i++) inertia += W ? W[i]! * sqDistances[i]! : sqDistances[i]!
  return { centroids: s.centers, labels, sqDistances, inertia, iterations: it, converged }
}

/** Half the distance from each centre to its nearest other centre. */
function centreGaps(s: Hamerly): void {
  const { centers, half, k } = s
  const d = s.x.cols
  for (let c = 0; c < k; c++) half[c] = Infinity
  for (let c = 0; c < k; c++) {
    for (let e = c + 1; e < k; e++) {
      const g = Math.sqrt(sqDist(centers, c * d, centers, e * d, d)) / 2
      if (g < half[c]!) half[c] = g
      if (g < half[e]!) half[e] = g
    }
  }
}

/** Assigns every point whose bounds do not rule out a change; returns how many changed cluster. */
function assignStep(s: Hamerly): number {
  const { centers, labels, upper, lower, half, moved, maxAt, maxMove, secondMove, k } = s
  const n = s.x.rows
  const d = s.x.cols
  const X = s.x.data
  let changed = 0
  for (let i = 0; i < n; i++) {
    const a = labels[i]!
    const o = i * d
    if (a >= 0) {
      let u = upper[i]! + moved[a]!
      const l = lower[i]! - (a === maxAt ? secondMove : maxMove)
      lower[i] = l
      const h = half[a]!
      const bound = h > l ? h : l
      if (u <= bound) {
        upper[i] = u
        continue
      }
      u = Math.sqrt(dist2(X, o, centers, a * d, d))
      upper[i] = u
      if (u <= bound) continue
    }
    let best = 0
    let bestD = Infinity
    let second = Infinity
    for (let c = 0; c < k; c++) {
      const dist = dist2(X, o, centers, c * d, d)
      if (dist < bestD) {
        second = bestD
        bestD = dist
        best = c
      } else if (dist < second) {
        second = dist
      }
    }
    upper[i] = Math.sqrt(bestD)
    lower[i] = Math.sqrt(second)
    if (best !== a) {
      changed++
      labels[i] = best
      movePoint(s, i, a, best)
    }
  }
  return changed
}

/** Moves row i's weight from cluster `from` (none when < 0) to `to` in the incremental sums. */
function movePoint(s: Hamerly, i: number, from: number, to: number): void {
  const { sums, counts, members } = s
  const d = s.x.cols
  const X = s.x.data
  const o = i * d
  const w = s.W ? s.W[i]! : 1
  const bo = to * d
  counts[to]! += w
  members[to]!++
  for (let j = 0; j < d; j++) sums[bo + j]! += w * X[o + j]!
  if (from >= 0) {
    const ao = from * d
    counts[from]! -= w
    members[from]!--
    for (let j = 0; j < d; j++) sums[ao + j]! -= w * X[o + j]!
  }
}

/** M-step: new centres from the sums, each centre's move; returns the total squared shift. */
function updateCentres(s: Hamerly): number {
  const { centers, sums, counts, moved, k } = s
  const d = s.x.cols
  let shift = 0
  s.maxMove = 0
  s.maxAt = -1
  s.secondMove = 0
  for (let c = 0; c < k; c++) {
    const w = counts[c]!
    const co = c * d
    let m2 = 0
    for (let j = 0; j < d; j++) {
      const v = sums[co + j]! / w
      const t = v - centers[co + j]!
      m2 += t * t
      centers[co + j] = v
    }
    shift += m2
    const m = Math.sqrt(m2)
    moved[c] = m
    if (m > s.maxMove) {
      s.secondMove = s.maxMove
      s.maxMove = m
      s.maxAt = c
    } else if (m > s.secondMove) {
      s.secondMove = m
    }
  }
  return shift
}

/**
 * Each empty cluster takes one of the points farthest from their centres (sklearn's
 * _relocate_empty_clusters, with the Hamerly upper bound as the distance). Returns the number of
 * points moved.
 */
function relocateEmpty(s: Hamerly): number {
  const { x, W, labels, upper, lower, counts, members, sums, k } = s
  const empty: number[] = []
  for (let c = 0; c < k; c++) if (members[c] === 0) empty.push(c)
  if (empty.length === 0) return 0
  const d = x.cols
  const order = Array.from({ length: x.rows }, (_, i) => i).sort((a, b) => upper[b]! - upper[a]! || a - b)
  let moved = 0
  for (let e = 0, q = 0; e < empty.length && q < order.length; q++) {
    const far = order[q]!
    const from = labels[far]!
    if (members[from]! <= 1) continue
    const to = empty[e++]!
    const w = W ? W[far]! : 1
    for (let j = 0; j < d; j++) {
      const v = w * x.data[far * d + j]!
      sums[from * d + j]! -= v
      sums[to * d + j] = v
    }
    counts[from]! -= w
    counts[to] = w
    members[from]!--
    members[to] = 1
    labels[far] = to
    upper[far] = 0
    lower[far] = 0
    moved++
  }
  return moved
}
