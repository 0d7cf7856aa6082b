// Isolation forest after sklearn's IsolationForest (Liu et al. 2008): each tree is grown on a
// subsample of max_samples = min(256, n) rows drawn without replacement, splitting on a random
// non-constant feature at a uniform threshold between its node minimum and maximum, to depth
// ceil(log2(max_samples)). Features are rounded to float32 like sklearn's trees. The anomaly
// score is 2^(-E[h(x)] / c(max_samples)), h = depth + c(leaf size). With a contamination rate the
// threshold is that quantile of the training scores (np.percentile, linear), and a row is an
// outlier when its score is strictly above it (sklearn: score_samples < offset_).
import type { Matrix } from './types.ts'
import { deriveSeed, mulberry32, randInt, sampleWithoutReplacement, type Rng } from './prng.ts'

export interface IsolationForestOptions {
  /** Trees (default 100). */
  nEstimators?: number
  /** Rows per tree (default min(256, n)). */
  maxSamples?: number
  /** Share of training rows to flag, in (0, 0.5]; 'auto' uses sklearn's fixed threshold 0.5. */
  contamination?: number | 'auto'
  seed?: number
}

/** One tree, flat arrays indexed by node; leaves have feature -1. */
export interface IsolationTree {
  feature: number[]
  threshold: number[]
  left: number[]
  right: number[]
  /** Training rows that reached the node. */
  size: number[]
}

export interface IsolationForestModel {
  nFeatures: number
  maxSamples: number
  trees: IsolationTree[]
  /** Rows scoring above this are outliers. */
  threshold: number
  contamination: number | 'auto'
}

const EULER_GAMMA = 0.5772156649015329

/** Average path length of an unsuccessful BST search among n points (sklearn's _average_path_length). */
export function averagePathLength(n: number): number {
  if (n <= 1) return 0
  if (n === 2) return 1
  return 2 * (Math.log(n - 1) + EULER_GAMMA) - (2 * (n - 1)) / n
}

function buildTree(X: Float32Array, p: number, rows: Int32Array, maxDepth: number, rng: Rng): IsolationTree {
  const t: IsolationTree = { feature: [], threshold: [], left: [], right: [], size: [] }
  const lo = new Float64Array(p)
  const hi = new Float64Array(p)
  const candidates: number[] = []
  const grow = (start: number, end: number, depth: number): number => {
    const id = t.feature.length
    t.feature.push(-1)
    t.threshold.push(0)
    t.left.push(-1)
    t.right.push(-1)
    t.size.push(end - start)
    if (depth >= maxDepth || end - start < 2) return id
    lo.fill(Infinity)
    hi.fill(-Infinity)
    for (let q = start; q < end; q++) {
      const o = rows[q]! * p
      for (let j = 0; j < p; j++) {
        const v = X[o + j]!
        if (v < lo[j]!) lo[j] = v
        if (v > hi[j]!) hi[j] = v
      }
    }
    candidates.length = 0
    for (let j = 0; j < p; j++) if (hi[j]! > lo[j]!) candidates.push(j)
    if (candidates.length === 0) return id
    const f = candidates[randInt(rng, candidates.length)]!
    const min = lo[f]!
    const max = hi[f]!
    let thr = min + rng() * (max - min)
    if (thr >= max) thr = min
    // partition rows[start..end): x <= thr to the left
    let i = start
    let j = end - 1
    while (i <= j) {
      if (X[rows[i]! * p + f]! <= thr) i++
      else {
        const tmp = rows[i]!
        rows[i] = rows[j]!
        rows[j] = tmp
        j--
      }
    }
    t.feature[id] = f
    t.threshold[id] = thr
    const l = grow(start, i, depth + 1)
    const r = grow(i, end, depth + 1)
    t.left[id] = l
    t.right[id] = r
    return id
  }
  grow(0, rows.length, 0)
  return t
}

function toFloat32(x: Matrix): Float32Array {
  return Float32Array.from(x.data)
}

function pathLengths(model: IsolationForestModel, X: Float32Array, rows: number): Float64Array {
  const p = model.nFeatures
  const out = new Float64Array(rows)
  for (const t of model.trees) {
    const leafExtra = t.size.map(averagePathLength)
    for (let i = 0; i < rows; i++) {
      let node = 0
      let depth = 0
      const o = i * p
      while (t.feature[node]! >= 0) {
        node = X[o + t.feature[node]!]! <= t.threshold[node]! ? t.left[node]! : t.right[node]!
        depth++
      }
      out[i]! += depth + leafExtra[node]!
    }
  }
  return out
}

/** Anomaly scores in (0, 1]; higher is more anomalous (sklearn's -score_samples). */
export function isolationScores(model: IsolationForestModel, x: Matrix): Float64Array {
  if (x.cols !== model.nFeatures) throw new RangeError(`isolation forest expects ${model.nFeatures} columns, got ${x.cols}`)
  const h = pathLengths(model, toFloat32(x), x.rows)
  const c = averagePathLength(model.maxSamples)
  const T = model.trees.length
  for (let i = 0; i < h.length; i++) h[i] = Math.pow(2, -(h[i]! / T) / c)
  return h
}

/** Linear-interpolated quantile (numpy's default percentile method). */
export function quantile(values: ArrayLike<number>, q: number): number {
  const s = Float64Array.from(values).sort()
  if (s.length === 0) return NaN
  const pos = q * (s.length - 1)
  const lo = Math.floor(pos)
  const hi = Math.min(s.length - 1, lo + 1)
  return s[lo]! + (pos - lo) * (s[hi]! - s[lo]!)
}

export interface IsolationForestFit {
  model: IsolationForestModel
  /** Training anomaly scores. */
  scores: Float64Array
  /** 1 for outliers. */
  outliers: Uint8Array
}

export function fitIsolationForest(x: Matrix, opts: IsolationForestOptions = {}): IsolationForestFit {
  const n = x.rows
  const p = x.cols
  if (n < 2) throw new RangeError('isolation forest needs at least 2 rows')
  const nEstimators = opts.nEstimators ?? 100
  const maxSamples = Math.min(opts.maxSamples ?? 256, n)
  const contamination = opts.contamination ?? 'auto'
  if (contamination !== 'auto' && !(contamination > 0 && contamination <= 0.5)) throw new RangeError(`contamination must be in (0, 0.5], got ${contamination}`)
  const seed = opts.seed ?? 0
  const maxDepth = Math.ceil(Math.log2(Math.max(maxSamples, 2)))
  const X = toFloat32(x)
  const trees: IsolationTree[] = []
  for (let t = 0; t < nEstimators; t++) {
    const rng = mulberry32(deriveSeed(seed, 'isolation-tree', t))
    const rows = sampleWithoutReplacement(rng, n, maxSamples)
    trees.push(buildTree(X, p, rows, maxDepth, rng))
  }
  const model: IsolationForestModel = { nFeatures: p, maxSamples, trees, threshold: 0.5, contamination }
  const scores = isolationScores(model, x)
  // sklearn: offset_ = percentile(score_samples, 100·c), outlier iff score_samples < offset_.
  if (contamination !== 'auto') model.threshold = -quantile(scores.map((s) => -s), contamination)
  const outliers = new Uint8Array(n)
  for (let i = 0; i < n; i++) if (scores[i]! > model.threshold) outliers[i] = 1
  return { model, scores, outliers }
}
