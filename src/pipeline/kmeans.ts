// k-means on Float64Array rows: sklearn's greedy k-means++ start (2 + ln k local trials), Lloyd
// iterations (Hamerly-accelerated, exact) with sklearn's stopping rule (labels unchanged, or total
// squared centre shift ≤ tol · mean column variance) and empty-cluster relocation, n_init seeded
// restarts keeping the lowest inertia, optional row weights. Deterministic for a seed. Chosen over
// ml-kmeans after measuring both (bench/kmeans.ts): ml-kmeans has no n_init, is 2-5x slower and
// uses 2-6x the memory.
import type { Matrix } from './types.ts'
import { sqDist } from './linalg.ts'
import { deriveSeed, mulberry32, randInt, type Rng } from './prng.ts'

export interface KMeansOptions {
  k: number
  /** Independent k-means++ starts; the lowest inertia wins. Default 10. */
  nInit?: number
  /** Lloyd iterations per start. Default 300 (sklearn); the original used 100. */
  maxIter?: number
  /** Relative tolerance on the total squared centre shift (x mean column variance). Default 1e-4. */
  tol?: number
  seed?: number
  /** Explicit starting centres (k x d, row-major); then nInit is 1. */
  init?: Float64Array
  /**
   * Positive row weights (e.g. multiplicities of a bootstrap resample's distinct rows): the
   * result is that of the data with each row repeated `weight` times.
   */
  weights?: Float64Array
}

export interface KMeansResult {
  k: number
  dims: number
  /** k x d, row-major. */
  centroids: Float64Array
  /** Nearest centroid of every row (first on ties). */
  labels: Int32Array
  /** Squared distance of every row to its centroid. */
  sqDistances: Float64Array
  inertia: number
  /** Iterations of the winning start. */
  iterations: number
  converged: boolean
  /** Index of the winning start. */
  bestInit: number
}

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
function dist2(a: Float64Array, ao: number, b: Float64Array, bo: number, d: number): number {
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

/** First index whose cumulative sum is ≥ r (numpy searchsorted, side='left'), clipped to the last. */
function searchCumulative(cum: Float64Array, r: number): number {
  let lo = 0
  let hi = cum.length - 1
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (cum[mid]! < r) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** sklearn's greedy k-means++: each new centre is the best of 2 + ⌊ln k⌋ D²-sampled candidates. */
export function kmeansPlusPlus(x: Matrix, k: number, rng: Rng, weights?: Float64Array): Float64Array {
  const n = x.rows
  const d = x.cols
  const X = x.data
  const W = weights
  const centers = new Float64Array(k * d)
  const trials = 2 + Math.floor(Math.log(k))
  const cum = new Float64Array(n)
  let first: number
  if (W) {
    let s = 0
    for (let i = 0; i < n; i++) cum[i] = s += W[i]!
    first = searchCumulative(cum, rng() * s)
  } else {
    first = randInt(rng, n)
  }
  centers.set(X.subarray(first * d, first * d + d), 0)
  const closest = new Float64Array(n)
  let pot = 0
  for (let i = 0; i < n; i++) {
    closest[i] = dist2(X, i * d, X, first * d, d)
    pot += W ? W[i]! * closest[i]! : closest[i]!
  }
  const cand = new Float64Array(n)
  const bestCand = new Float64Array(n)
  for (let c = 1; c < k; c++) {
    let s = 0
    for (let i = 0; i < n; i++) {
      s += W ? W[i]! * closest[i]! : closest[i]!
      cum[i] = s
    }
    let bestIdx = -1
    let bestPot = Infinity
    for (let t = 0; t < trials; t++) {
      const idx = searchCumulative(cum, rng() * pot)
      let candPot = 0
      for (let i = 0; i < n; i++) {
        const dd = dist2(X, i * d, X, idx * d, d)
        const m = dd < closest[i]! ? dd : closest[i]!
        cand[i] = m
        candPot += W ? W[i]! * m : m
      }
      if (candPot < bestPot) {
        bestPot = candPot
        bestIdx = idx
        bestCand.set(cand)
      }
    }
    centers.set(X.subarray(bestIdx * d, bestIdx * d + d), c * d)
    closest.set(bestCand)
    pot = bestPot
  }
  return centers
}

/** Mean of the (weighted) column variances: sklearn's scale for the tolerance. */
function meanColumnVariance(x: Matrix, W?: Float64Array): number {
  const n = x.rows
  const d = x.cols
  if (n === 0 || d === 0) return 0
  let wsum = 0
  for (let i = 0; i < n; i++) wsum += W ? W[i]! : 1
  let total = 0
  for (let j = 0; j < d; j++) {
    let s = 0
    for (let i = 0; i < n; i++) s += W ? W[i]! * x.data[i * d + j]! : x.data[i * d + j]!
    const mu = s / wsum
    let v = 0
    for (let i = 0; i < n; i++) {
      const t = x.data[i * d + j]! - mu
      v += W ? W[i]! * t * t : t * t
    }
    total += v / wsum
  }
  return total / d
}

interface LloydResult {
  centroids: Float64Array
  labels: Int32Array
  sqDistances: Float64Array
  inertia: number
  iterations: number
  converged: boolean
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
  const X = x.data
  const W = weights
  const centers = Float64Array.from(start)
  const sums = new Float64Array(k * d) // weighted sums of each cluster's rows
  const counts = new Float64Array(k) // total weight of each cluster
  const members = new Int32Array(k) // rows in each cluster
  const labels = new Int32Array(n).fill(-1)
  const upper = new Float64Array(n) // ≥ distance to own centre
  const lower = new Float64Array(n) // ≤ distance to every other centre
  const half = new Float64Array(k) // half the distance from each centre to its nearest other centre
  const moved = new Float64Array(k) // how far each centre moved in the last M-step
  let maxMove = 0
  let maxAt = -1
  let secondMove = 0
  let converged = false
  let it = 0
  for (; it < maxIter; it++) {
    for (let c = 0; c < k; c++) half[c] = Infinity
    for (let c = 0; c < k; c++) {
      for (let e = c + 1; e < k; e++) {
        const g = Math.sqrt(sqDist(centers, c * d, centers, e * d, d)) / 2
        if (g < half[c]!) half[c] = g
        if (g < half[e]!) half[e] = g
      }
    }
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
        const co = c * d
        const s = dist2(X, o, centers, co, d)
        if (s < bestD) {
          second = bestD
          bestD = s
          best = c
        } else if (s < second) {
          second = s
        }
      }
      upper[i] = Math.sqrt(bestD)
      lower[i] = Math.sqrt(second)
      if (best !== a) {
        changed++
        labels[i] = best
        const w = W ? W[i]! : 1
        const bo = best * d
        counts[best]! += w
        members[best]!++
        for (let j = 0; j < d; j++) sums[bo + j]! += w * X[o + j]!
        if (a >= 0) {
          const ao = a * d
          counts[a]! -= w
          members[a]!--
          for (let j = 0; j < d; j++) sums[ao + j]! -= w * X[o + j]!
        }
      }
    }
    changed += relocateEmpty(x, W, labels, upper, lower, counts, members, sums, k)
    // M-step: new centres, their moves, the total squared shift
    let shift = 0
    maxMove = 0
    maxAt = -1
    secondMove = 0
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
      if (m > maxMove) {
        secondMove = maxMove
        maxMove = m
        maxAt = c
      } else if (m > secondMove) {
        secondMove = m
      }
    }
    if (changed === 0 || shift <= tolAbs) {
      converged = true
      it++
      break
    }
  }
  // Final labels always from the final centres, with the same distance code as scoring.
  const { labels: finalLabels, sqDistances } = assignNearest(x, centers, k)
  let inertia = 0
  for (let i = 0; i < n; i++) inertia += W ? W[i]! * sqDistances[i]! : sqDistances[i]!
  return { centroids: centers, labels: finalLabels, sqDistances, inertia, iterations: it, converged }
}

/**
 * Each empty cluster takes one of the points farthest from their centres (sklearn's
 * _relocate_empty_clusters, with the Hamerly upper bound as the distance). Returns the number of
 * points moved.
 */
function relocateEmpty(
  x: Matrix,
  W: Float64Array | undefined,
  labels: Int32Array,
  upper: Float64Array,
  lower: Float64Array,
  counts: Float64Array,
  members: Int32Array,
  sums: Float64Array,
  k: number,
): number {
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

/** k-means with `nInit` seeded k-means++ starts; the lowest inertia wins (earliest on ties). */
export function kmeans(x: Matrix, opts: KMeansOptions): KMeansResult {
  const { k } = opts
  const n = x.rows
  const d = x.cols
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be a positive integer, got ${k}`)
  if (n < k) throw new RangeError(`k-means: ${n} rows cannot make ${k} clusters`)
  const maxIter = opts.maxIter ?? 300
  const W = opts.weights
  if (W && (W.length !== n || !W.every((w) => w > 0 && Number.isFinite(w)))) throw new RangeError('k-means weights must be one positive finite number per row')
  const tolAbs = (opts.tol ?? 1e-4) * meanColumnVariance(x, W)
  const seed = opts.seed ?? 0
  const nInit = opts.init ? 1 : (opts.nInit ?? 10)
  let best: (LloydResult & { bestInit: number }) | null = null
  for (let r = 0; r < nInit; r++) {
    const start = opts.init ?? kmeansPlusPlus(x, k, mulberry32(deriveSeed(seed, 'kmeans-init', r)), W)
    if (start.length !== k * d) throw new RangeError(`k-means: init has ${start.length} values, expected ${k * d}`)
    const res = lloyd(x, start, k, maxIter, tolAbs, W)
    if (best === null || res.inertia < best.inertia) best = { ...res, bestInit: r }
  }
  const b = best!
  return {
    k,
    dims: d,
    centroids: b.centroids,
    labels: b.labels,
    sqDistances: b.sqDistances,
    inertia: b.inertia,
    iterations: b.iterations,
    converged: b.converged,
    bestInit: b.bestInit,
  }
}
